"""The 31 security risks of TC260-003 Appendix A (pure data).

Contract: :data:`RISK_CODES` lists the codes in the appendix's order (``A.1-1`` ... ``A.5-2``);
:data:`RISK_NAMES` gives each code's Chinese name (as the appendix words it) and an English
translation; :data:`CLASS_NAMES` the five classes; :data:`MIN_TERMS` the fewest keyword-library
terms TC260-003 8.1 asks for per risk of a class (A.1: 200, A.2: 100; the other classes have
no minimum). Keyword libraries, classifiers and reports name risks by these codes only.
"""

from __future__ import annotations

CLASS_NAMES: dict[str, tuple[str, str]] = {
    "A.1": ("违反社会主义核心价值观的内容", "Content violating the core socialist values"),
    "A.2": ("歧视性内容", "Discriminatory content"),
    "A.3": ("商业违法违规", "Commercial violations"),
    "A.4": ("侵犯他人合法权益", "Infringement of others' legitimate rights and interests"),
    "A.5": ("无法满足特定服务类型的安全需求", "Failure to meet the security needs of specific service types"),
}

RISK_NAMES: dict[str, tuple[str, str]] = {
    "A.1-1": ("煽动颠覆国家政权、推翻社会主义制度",
              "Inciting subversion of state power or the overthrow of the socialist system"),
    "A.1-2": ("危害国家安全和利益、损害国家形象",
              "Endangering national security and interests, or harming the national image"),
    "A.1-3": ("煽动分裂国家、破坏国家统一和社会稳定",
              "Inciting secession, or undermining national unity and social stability"),
    "A.1-4": ("宣扬恐怖主义、极端主义", "Promoting terrorism or extremism"),
    "A.1-5": ("宣扬民族仇恨", "Promoting ethnic hatred"),
    "A.1-6": ("宣扬暴力、淫秽色情", "Promoting violence, obscenity or pornography"),
    "A.1-7": ("传播虚假有害信息", "Spreading false and harmful information"),
    "A.1-8": ("其他法律、行政法规禁止的内容", "Other content prohibited by laws and administrative regulations"),
    "A.2-1": ("民族歧视", "Ethnic discrimination"),
    "A.2-2": ("信仰歧视", "Religious (belief) discrimination"),
    "A.2-3": ("国别歧视", "Discrimination by nationality"),
    "A.2-4": ("地域歧视", "Regional discrimination"),
    "A.2-5": ("性别歧视", "Gender discrimination"),
    "A.2-6": ("年龄歧视", "Age discrimination"),
    "A.2-7": ("职业歧视", "Occupational discrimination"),
    "A.2-8": ("健康歧视", "Health discrimination"),
    "A.2-9": ("其他方面歧视", "Other discrimination"),
    "A.3-1": ("侵犯他人知识产权", "Infringing others' intellectual property rights"),
    "A.3-2": ("违反商业道德", "Violating business ethics"),
    "A.3-3": ("泄露他人商业秘密", "Disclosing others' trade secrets"),
    "A.3-4": ("利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
              ("Using advantages in algorithms, data, platforms and the like for monopoly "
               "and unfair competition")),
    "A.3-5": ("其他商业违法违规行为", "Other commercial violations of laws and regulations"),
    "A.4-1": ("危害他人身心健康", "Endangering others' physical or mental health"),
    "A.4-2": ("侵害他人肖像权", "Infringing others' portrait rights"),
    "A.4-3": ("侵害他人名誉权", "Infringing others' reputation rights"),
    "A.4-4": ("侵害他人荣誉权", "Infringing others' honour rights"),
    "A.4-5": ("侵害他人隐私权", "Infringing others' privacy rights"),
    "A.4-6": ("侵害他人个人信息权益", "Infringing others' personal information rights and interests"),
    "A.4-7": ("侵犯他人其他合法权益", "Infringing others' other legitimate rights and interests"),
    "A.5-1": ("内容不准确，严重不符合科学常识或主流认知",
              "Inaccurate content, seriously contrary to scientific common sense or mainstream understanding"),
    "A.5-2": ("内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助",
              "Unreliable content: no serious errors, but of no help to the user"),
}

RISK_CODES: tuple[str, ...] = tuple(RISK_NAMES)

# TC260-003 8.1: a keyword library holds at least this many terms for each risk of a class.
MIN_TERMS: dict[str, int] = {"A.1": 200, "A.2": 100}


def risk_class(code: str) -> str:
    """The class of a risk code (``A.2-5`` -> ``A.2``)."""
    return code.split("-", 1)[0]


def min_terms(code: str) -> int:
    """The fewest library terms TC260-003 8.1 asks for this risk (0: no minimum)."""
    return MIN_TERMS.get(risk_class(code), 0)


assert len(RISK_CODES) == 31 and [sum(1 for c in RISK_CODES if risk_class(c) == k) for k in CLASS_NAMES] == [8, 9, 5, 7, 2]
