// Service worker part: the app shell and the last 待办 offline (filled in by its own module's work).
