"""全文检索: every document a person may see, found by its words, 发文字号, 发文机关, 文种, dates and status."""
