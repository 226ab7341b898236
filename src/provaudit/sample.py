"""Write the bundled sample corpus: seven sources with planted facts and their ground truth.

Contract. :func:`write_sample_corpus` writes, under ``out_dir``, the shards of seven
registered sources, the labelling record sets of two of them under ``labelling/``, the
team's opt-out list ``opt_out.txt``, reviewers' verdicts ``inspection/verdicts.jsonl``,
``registry.yaml`` describing them and ``planted.json`` holding what was planted in them.
The output is a pure function of the seed: same bytes on every run (fixed seeds, gzip
without name or time, JSON with sorted keys, Parquet written from explicit tables, WARC
records with fixed ids and dates). Files a previous run left inside the source folders,
``labelling/`` and ``inspection/`` are removed; nothing else under ``out_dir`` is touched.

Sources (folder: format, acquisition, declared license):

- ``web_crawl``: JSONL with ``url`` and a per-document ``license`` field in varied
  spellings (six pages, about 3%, with none, a null or an unrecognisable one); eight
  languages; ``max_doc_chars: 20000``; one empty shard, one shard with a bad line of every
  kind and a 30,000-character document; three pages from a site on the opt-out list.
- ``licensed_news``: JSONL, gzip and zstd, licensed (declared ``proprietary``); its last
  shard is a truncated gzip stream.
- ``open_books``: Parquet, open-license ``CC BY-SA 4.0``; a null text row and a file
  without the text column.
- ``forum_dump``: one document per ``.txt`` file (format inferred), user data under
  ``cc-by-4.0``; a latin-1 file and a blank one.
- ``crawl_warc``: gzip WARC of HTML pages (format inferred); an image response and a
  gzip file that is not a WARC.
- ``scraped_blogs``: JSONL declared ``see website`` (with a scraper run log as evidence):
  the planted source with no usable license, and nothing else wrong.
- ``eval_qa``: a held-out QA benchmark (``role: eval``) written from prose no training
  source draws from; six of its passages leak, verbatim or nearly, into training sources,
  and three more leak one sentence each (a training document quotes it).

``planted.json`` (ground truth, computed from the texts as written):

- ``documents``: every document a reader should yield, by doc_id, with source, shard,
  location and planted language. Derived ids (sources without ``id_field``) use shard
  names relative to ``out_dir``, as a config in that folder shows them.
- ``exact_duplicates``: groups of doc_ids whose normalised texts (NFC, stripped) are equal;
  ``cross_source_copies`` and ``eval_leaks`` name the planted subsets.
- ``near_duplicates``: every pair of documents with Jaccard >= 0.5 on 5-shingles (words,
  or characters for Chinese and Japanese, as :func:`provaudit.minhash.shingles` defines
  them) that are not exact duplicates; each was planted, with 0.85 <= J <= 0.95.
- ``eval_ngram_leaks``: every eval item sharing at least one 13-gram (same shingling,
  n = 13) with a document of a training source (registry role not ``eval``), with the
  documents it shares them with, found by brute force: the six items of ``eval_leaks``
  and the partial leaks (``kind: partial``, with the quoted sentence), and no other.
- ``pii``: counts by kind for every document with personal information; ``pii_decoys``:
  documents holding look-alikes (bad checksums, versions, local numbers) that count 0.
- ``quarantine``: every bad record with its expected reason code and location.
- ``sources``: per source, documents, quarantined and the quarantine share
  quarantined / (documents + quarantined), languages, unknown-license documents and share
  (``provaudit.licenses.normalize_license`` of the document's license_field value, else the
  source's license: web_crawl <= 4%, scraped_blogs 100%, the others 0), the documents with
  personal data, the registry's ``consent_basis`` (``none`` exactly for the sources without
  personal data), and for training sources the duplicate rates as the overlap stage
  defines them.
- ``opt_out``: the list file, its domains and the documents opted out by the pipeline's rule
  (the URL's host or a parent domain of it is listed): three crawl pages, no other source.
- ``inspection``: the verdicts file (one line per document of every training source, all
  ``safe`` but one crawl page), the unsafe documents by source and the reviewed counts.
- ``labelling``: the labelling profile expected per batch (``batches``, the fields of
  ``schemas/labelling_profile.schema.json`` with lists as lists), the checks' default
  thresholds and which batch fails which check (``fails``).

Labelling (registry key ``labelling`` of ``licensed_news`` and ``web_crawl``): records
under ``labelling/records/<source>.jsonl`` label the sources' documents (item ids are
doc_ids); ``annotators.yaml`` and ``guidelines.yaml`` (with the SHA-256 of each
``guidelines/*.md``) are shared. Four batches, functional and safety, some items labelled
twice; every batch passes the labelling_process checks (known guideline versions with
valid checksums, QA sample share >= 0.05, QA accuracy >= 0.90 functional and >= 0.98
safety, every safety label reviewed) except ``news-topic-2024-05``, which fails only the
trained-annotator check: ann-05 completed training on 2024-05-20 and labelled before it
and on that very day (which does not count as trained before).

Filler documents are recombined from hand-written encyclopedic paragraphs (one to four
topic blocks, sentences kept in order), and any draw within Jaccard 0.5 of an earlier
document of its language is redrawn, so no similarity is accidental. Eval passages are
recombined the same way from held-out paragraphs, the six leaked whole from topics of
their own, so that no eval item shares a 13-gram with training text unless planted.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import re
import sys
import unicodedata
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SEED", "SOURCES", "main", "write_sample_corpus"]

SEED = 20240501
SOURCES = (
    "web_crawl",
    "licensed_news",
    "open_books",
    "forum_dump",
    "crawl_warc",
    "scraped_blogs",
    "eval_qa",
)
_NGRAM = 5
_LEAK_NGRAM = 13  # the overlap stage's eval contamination n-gram (words, or CJK characters)
_SIMILAR = 0.5  # fillers stay below this Jaccard with every other document
_NEAR = (0.85, 0.95)  # planted near duplicates land in this range
_CJK = frozenset({"zh-cn", "ja"})

# --------------------------------------------------------------------------- prose
# Hand-written encyclopedic paragraphs: language -> (title, sentences). Documents are
# recombined from these, sentences kept in order within a topic block.

_PROSE: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "en": (
        (
            "Tea",
            (
                "Tea is an aromatic drink prepared by pouring hot or boiling water over cured or fresh leaves of the tea plant, an evergreen shrub native to East Asia.",
                "After plain water, it is probably the most widely consumed drink in the world.",
                "There are many different types of tea; some have a cooling, slightly bitter and astringent flavour, while others have profiles that include sweet, nutty, floral or grassy notes.",
                "Tea has a stimulating effect in humans, mainly because of its caffeine content.",
                "The plant is thought to have originated in the region where southwestern China meets northern Myanmar.",
                "Early records describe tea as a medicinal drink, and it became popular as a recreational beverage during the Tang dynasty.",
                "Tea drinking spread to Europe in the seventeenth century, carried by Portuguese and Dutch merchants who traded along the coasts of Asia.",
            ),
        ),
        (
            "Lighthouses",
            (
                "A lighthouse is a tower or other structure designed to emit light from a system of lamps and lenses, serving as a navigational aid for ships at sea or on inland waterways.",
                "Lighthouses mark dangerous coastlines, hazardous shoals, reefs and safe entries to harbours.",
                "Their number has declined because of the cost of maintenance and the spread of electronic navigation systems.",
                "The ancient Pharos of Alexandria, completed in the third century before the common era, is the most famous early example.",
                "Until the nineteenth century, lighthouse keepers tended open fires, candles or oil lamps that had to be trimmed several times each night.",
                "The Fresnel lens, developed in France in the 1820s, concentrated the light into a narrow beam that could be seen far beyond the horizon.",
                "Most remaining lighthouses today are automated and are visited by technicians only a few times a year.",
            ),
        ),
        (
            "Honey bees",
            (
                "Honey bees are social insects that live in colonies made up of a single queen, thousands of female workers and, in season, a smaller number of male drones.",
                "Workers gather nectar and pollen from flowers, and in doing so they transfer pollen between plants and help them set seed.",
                "Inside the hive, nectar is stored in wax cells and slowly evaporated until it becomes honey.",
                "A forager returning from a rich patch of flowers performs a waggle dance that tells her sisters the direction and distance of the food.",
                "Beekeeping has been practised for thousands of years, and rock paintings show people collecting honey from wild nests.",
                "Many crops, including apples, almonds and clover, yield far less when bees are scarce.",
                "Parasitic mites, pesticides and the loss of wild habitat are among the pressures that beekeepers report today.",
            ),
        ),
        (
            "The printing press",
            (
                "The printing press is a mechanical device that applies pressure to an inked surface resting upon paper or cloth, transferring the ink in a single motion.",
                "Johannes Gutenberg, a goldsmith from Mainz, developed a system of movable metal type around the middle of the fifteenth century.",
                "His method combined type cast in a hand mould, an oil-based ink and a screw press adapted from those used to make wine.",
                "Within a few decades, printing workshops had opened in more than two hundred European towns.",
                "Books became cheaper, and the number of people who could afford to own them grew steadily.",
                "Historians often link the spread of printing to the Renaissance, the Reformation and the rise of modern science.",
                "Earlier forms of printing with wooden blocks and movable clay type had already been used in China and Korea for centuries.",
            ),
        ),
        (
            "Volcanoes",
            (
                "A volcano is a rupture in the crust of a planet that allows hot lava, volcanic ash and gases to escape from a magma chamber below the surface.",
                "On Earth, most volcanoes are found where tectonic plates are pulling apart or coming together.",
                "Some eruptions are gentle, with runny lava flowing slowly downhill, while others are violently explosive.",
                "Ash thrown high into the atmosphere can travel thousands of kilometres and disrupt air traffic for days.",
                "Large eruptions may even cool the global climate for a year or more by veiling the sky with fine particles.",
                "Volcanic soils are often very fertile, which is one reason people continue to farm on the slopes of active mountains.",
                "Scientists monitor restless volcanoes with seismometers, satellite images and instruments that measure changes in gas emissions.",
            ),
        ),
        (
            "Railway time",
            (
                "Before the railways, most towns kept their own local time, set by the position of the sun at noon.",
                "A traveller going west could find that the clocks of each station disagreed by several minutes.",
                "As train networks grew, these differences made timetables confusing and sometimes dangerous.",
                "British railway companies adopted a single standard time, taken from the observatory at Greenwich, during the 1840s.",
                "In North America, the railways introduced time zones in 1883, and many cities followed their lead.",
                "An international conference held in Washington the following year chose Greenwich as the prime meridian for the world.",
                "The idea that the whole of a region should share one official time is now so familiar that it is easy to forget how recent it is.",
            ),
        ),
        (
            "Coral reefs",
            (
                "Coral reefs are underwater ecosystems built by colonies of tiny animals that secrete skeletons of calcium carbonate.",
                "Most reef-building corals live in warm, shallow and clear tropical waters.",
                "Although reefs cover less than one percent of the ocean floor, they shelter about a quarter of all marine species.",
                "Corals obtain much of their energy from microscopic algae that live inside their tissues and make food from sunlight.",
                "When the water becomes too warm for too long, the corals expel these algae and turn white, a process called bleaching.",
                "Reefs protect coastlines from waves and storms and support fishing and tourism in many countries.",
                "The Great Barrier Reef off the coast of Queensland is the largest reef system on the planet and can be seen from space.",
            ),
        ),
    ),
    "zh-cn": (
        (
            "长城",
            (
                "长城是中国古代修建的大型军事防御工程，东西绵延上万里，被称为“万里长城”。",
                "早在春秋战国时期，各诸侯国就开始在边境修筑城墙，用来抵御外来的侵扰。",
                "秦始皇统一六国以后，把原来各国的城墙连接起来，形成了最早的万里长城。",
                "今天人们看到的长城，大部分是明朝时期重新修筑的，墙体多用砖石砌成。",
                "长城沿线设有关隘、敌楼和烽火台，遇到敌情时可以迅速传递消息。",
                "一九八七年，长城被列入世界文化遗产名录，每年吸引大量中外游客前来参观。",
                "由于风雨侵蚀和人为破坏，一些偏远地段的长城已经残缺不全，保护工作任重道远。",
            ),
        ),
        (
            "造纸术",
            (
                "造纸术是中国古代的四大发明之一，对人类文明的传播产生了深远的影响。",
                "在纸张出现以前，人们把文字刻在甲骨上，或者写在竹简和丝帛上。",
                "竹简十分笨重，丝帛又非常昂贵，都不便于普通人使用。",
                "东汉时期，蔡伦总结前人的经验，用树皮、麻头、破布和旧渔网作为原料，改进了造纸的方法。",
                "这种纸原料容易得到，价格低廉，很快在各地推广开来。",
                "后来，造纸术经过中亚传到阿拉伯地区，又从那里传入欧洲。",
                "有了便宜的纸张，书籍的抄写和保存都变得容易多了，知识也因此传播得更广。",
            ),
        ),
        (
            "大熊猫",
            (
                "大熊猫是中国特有的珍稀动物，主要生活在四川、陕西和甘肃的山区竹林里。",
                "它们的身体胖乎乎的，毛色黑白相间，眼睛周围有两块大大的黑斑。",
                "大熊猫虽然属于食肉目，但是它们的食物几乎全部是竹子。",
                "一只成年大熊猫每天要花十几个小时进食，吃掉的竹子可以达到十几公斤。",
                "大熊猫的繁殖能力很低，幼崽刚出生时只有一百克左右，非常脆弱。",
                "为了保护大熊猫，中国建立了许多自然保护区，并开展了人工繁育研究。",
                "经过几十年的努力，野生大熊猫的数量有所回升，它们的受威胁等级也随之下调。",
            ),
        ),
        (
            "二十四节气",
            (
                "二十四节气是中国古人根据太阳在黄道上的位置划分出来的，用来指导农业生产。",
                "每个节气大约相隔十五天，一年正好分为二十四个节气。",
                "立春、立夏、立秋、立冬表示四季的开始，春分和秋分时白天和黑夜差不多一样长。",
                "农民根据节气安排播种、灌溉和收割，民间流传着许多与节气有关的谚语。",
                "比如“清明前后，种瓜点豆”，说的就是清明时节正适合播种。",
                "二〇一六年，二十四节气被列入联合国教科文组织人类非物质文化遗产代表作名录。",
                "直到今天，许多家庭仍然会在冬至吃饺子或汤圆，在立秋时吃一些肉来“贴秋膘”。",
            ),
        ),
        (
            "黄河",
            (
                "黄河是中国第二长河，发源于青藏高原，流经九个省区，最后注入渤海。",
                "黄河中游流经黄土高原，河水携带了大量泥沙，因此水色浑黄。",
                "黄河流域是中华文明的重要发祥地，古代许多都城都建在它的两岸。",
                "由于泥沙不断沉积，下游河床逐渐抬高，形成了高出地面的“地上河”。",
                "历史上黄河曾多次决口改道，给两岸百姓带来了深重的灾难。",
                "新中国成立以后，国家修建了许多水利工程，加强了对黄河的治理。",
                "近年来，黄河流域的生态保护受到越来越多的重视，沿岸植被也在逐步恢复。",
            ),
        ),
        (
            "丝绸之路",
            (
                "丝绸之路是古代连接东亚和地中海地区的贸易通道，因大量运输中国丝绸而得名。",
                "西汉时期，张骞两次出使西域，为这条道路的开通奠定了基础。",
                "商队带着丝绸、瓷器和茶叶向西而行，又把香料、宝石和良马带回中原。",
                "沿途的绿洲城市为商人提供了休息和交换货物的场所，逐渐繁荣起来。",
                "佛教、音乐和许多新的农作物也通过这条道路传入中国。",
                "除了陆上通道，古人还开辟了从东南沿海出发的海上丝绸之路。",
                "如今，丝绸之路沿线的许多遗址已经成为研究古代文化交流的重要材料。",
            ),
        ),
    ),
    "fr": (
        (
            "Le système métrique",
            (
                "Le système métrique est né en France à la fin du dix-huitième siècle, au moment de la Révolution.",
                "Avant sa création, chaque province utilisait ses propres unités, ce qui compliquait beaucoup le commerce.",
                "Les savants décidèrent de définir le mètre comme la dix-millionième partie de la distance entre le pôle Nord et l'équateur.",
                "Deux astronomes mesurèrent pendant plusieurs années l'arc de méridien qui relie Dunkerque à Barcelone.",
                "Le kilogramme fut ensuite défini à partir de la masse d'un décimètre cube d'eau.",
                "Aujourd'hui, presque tous les pays du monde utilisent le système international d'unités qui en est issu.",
            ),
        ),
        (
            "Les châteaux de la Loire",
            (
                "La vallée de la Loire est célèbre pour ses nombreux châteaux construits entre le Moyen Âge et la Renaissance.",
                "Les rois de France aimaient séjourner dans cette région au climat doux et aux forêts riches en gibier.",
                "Le château de Chambord, avec son escalier à double révolution, est l'un des plus visités.",
                "Chenonceau enjambe la rivière du Cher grâce à une longue galerie posée sur des arches.",
                "Beaucoup de ces demeures possèdent des jardins à la française dessinés avec une grande précision.",
                "Depuis l'an deux mille, une partie de la vallée est inscrite au patrimoine mondial de l'UNESCO.",
            ),
        ),
        (
            "Le fromage",
            (
                "La France produit plusieurs centaines de variétés de fromages, au lait de vache, de chèvre ou de brebis.",
                "Chaque région a ses spécialités, comme le comté dans le Jura ou le roquefort dans l'Aveyron.",
                "Le roquefort mûrit dans des caves naturelles où circule un air frais et humide.",
                "Certains fromages bénéficient d'une appellation d'origine protégée qui garantit leur mode de fabrication.",
                "Au repas, le fromage est traditionnellement servi après le plat principal et avant le dessert.",
                "Les fromagers affineurs surveillent la maturation des meules pendant des semaines, voire des années.",
            ),
        ),
        (
            "La Camargue",
            (
                "La Camargue est une vaste zone humide située dans le delta du Rhône, au bord de la Méditerranée.",
                "Ses étangs salés accueillent chaque année des milliers de flamants roses.",
                "Les chevaux blancs et les taureaux noirs y vivent en semi-liberté dans les marais.",
                "Les gardians, cavaliers traditionnels de la région, veillent sur les troupeaux.",
                "On y cultive aussi le riz, et le sel y est récolté dans de grands marais salants.",
                "Un parc naturel régional protège ce paysage fragile depuis la fin des années soixante.",
            ),
        ),
        (
            "Jules Verne",
            (
                "Jules Verne est un écrivain français né à Nantes en 1828.",
                "Il est surtout connu pour ses romans d'aventures qui mêlent science et imagination.",
                "Dans Vingt Mille Lieues sous les mers, le capitaine Nemo parcourt les océans à bord du Nautilus.",
                "Le Tour du monde en quatre-vingts jours raconte le pari d'un gentleman anglais très ponctuel.",
                "Verne se documentait avec soin et lisait de nombreuses revues scientifiques de son époque.",
                "Ses livres ont été traduits dans des dizaines de langues et continuent d'inspirer les lecteurs.",
            ),
        ),
    ),
    "de": (
        (
            "Der Rhein",
            (
                "Der Rhein ist einer der wichtigsten Flüsse Europas und fließt von den Alpen bis zur Nordsee.",
                "Auf seinem Weg durchquert er die Schweiz, Liechtenstein, Österreich, Deutschland, Frankreich und die Niederlande.",
                "Zwischen Bingen und Koblenz windet sich der Fluss durch ein enges Tal mit steilen Weinbergen und zahlreichen Burgen.",
                "Der berühmte Loreleyfelsen ragt dort fast senkrecht über dem Wasser auf.",
                "Seit Jahrhunderten ist der Rhein eine bedeutende Wasserstraße für den Transport von Kohle, Getreide und Containern.",
                "Nach einem schweren Chemieunfall im Jahr 1986 wurden große Anstrengungen unternommen, um die Wasserqualität zu verbessern.",
            ),
        ),
        (
            "Der Schwarzwald",
            (
                "Der Schwarzwald ist ein Mittelgebirge im Südwesten Deutschlands.",
                "Seinen Namen verdankt er den dichten Nadelwäldern, die von weitem fast schwarz erscheinen.",
                "Die Region ist für ihre Kuckucksuhren bekannt, die seit dem achtzehnten Jahrhundert hier hergestellt werden.",
                "Im Winter kommen viele Besucher zum Skilaufen, im Sommer zum Wandern.",
                "Der höchste Berg ist der Feldberg, von dessen Gipfel man bei klarem Wetter bis zu den Alpen blicken kann.",
                "Auch die Schwarzwälder Kirschtorte trägt den Namen der Region in die ganze Welt.",
            ),
        ),
        (
            "Das Bauhaus",
            (
                "Das Bauhaus war eine Kunstschule, die Walter Gropius im Jahr 1919 in Weimar gründete.",
                "Ziel der Schule war es, Kunst, Handwerk und Technik miteinander zu verbinden.",
                "Die Studierenden lernten in Werkstätten für Metall, Holz, Textilien und Keramik.",
                "Im Jahr 1925 zog die Schule nach Dessau um, wo ein berühmtes Gebäude aus Glas und Stahl entstand.",
                "Unter dem Druck der Nationalsozialisten musste das Bauhaus 1933 schließen.",
                "Viele Lehrer emigrierten danach und verbreiteten die Ideen der Schule in Amerika und anderswo.",
            ),
        ),
        (
            "Die Hanse",
            (
                "Die Hanse war ein Bund von Kaufleuten und Städten, der im Mittelalter den Handel an Nord- und Ostsee beherrschte.",
                "Zu ihren wichtigsten Mitgliedern gehörten Lübeck, Hamburg, Bremen und Danzig.",
                "Die Händler tauschten Pelze, Wachs und Getreide aus dem Osten gegen Tuch, Wein und Salz aus dem Westen.",
                "In London, Brügge, Bergen und Nowgorod unterhielt die Hanse große Handelsniederlassungen.",
                "Mit dem Aufstieg der Nationalstaaten verlor der Bund im sechzehnten Jahrhundert an Bedeutung.",
                "Noch heute tragen einige Städte stolz den Beinamen Hansestadt auf ihren Autokennzeichen.",
            ),
        ),
        (
            "Die Energiewende",
            (
                "Als Energiewende bezeichnet man den Übergang von fossilen Brennstoffen und Kernkraft zu erneuerbaren Energien.",
                "In Deutschland wurde dieser Begriff schon in den achtziger Jahren geprägt.",
                "Windräder und Solaranlagen liefern inzwischen einen großen Teil des Stroms im Land.",
                "Eine Herausforderung besteht darin, den Strom aus dem windreichen Norden in den Süden zu transportieren.",
                "Auch Speicher werden gebraucht, damit an windstillen und dunklen Tagen genug Energie zur Verfügung steht.",
                "Befürworter betonen den Klimaschutz, Kritiker verweisen auf die hohen Kosten für Verbraucher.",
            ),
        ),
    ),
    "es": (
        (
            "La Alhambra",
            (
                "La Alhambra es un conjunto de palacios y fortalezas situado sobre una colina de Granada.",
                "Fue construida principalmente durante la dinastía nazarí, entre los siglos trece y catorce.",
                "Sus patios, como el de los Leones, combinan el agua, la luz y la vegetación de forma admirable.",
                "Las paredes están decoradas con azulejos, yeserías y versos tallados en escritura árabe.",
                "Tras la conquista cristiana de 1492, los Reyes Católicos la convirtieron en residencia real.",
                "Hoy es uno de los monumentos más visitados de España y forma parte del patrimonio mundial.",
            ),
        ),
        (
            "El café de Colombia",
            (
                "Colombia es uno de los mayores productores de café suave del mundo.",
                "Las plantaciones se encuentran sobre todo en las laderas de las cordilleras andinas, entre mil y dos mil metros de altitud.",
                "El clima templado y las lluvias regulares permiten cosechar los granos casi todo el año.",
                "La mayor parte de la recolección se hace a mano, porque los frutos no maduran todos al mismo tiempo.",
                "Después de la cosecha, los granos se despulpan, se fermentan, se lavan y se secan al sol.",
                "El paisaje cultural cafetero fue reconocido por la UNESCO en el año 2011.",
            ),
        ),
        (
            "Los Andes",
            (
                "La cordillera de los Andes recorre el oeste de América del Sur a lo largo de unos siete mil kilómetros.",
                "Es la cadena montañosa continental más larga del planeta.",
                "Su cumbre más alta es el Aconcagua, en Argentina, que supera los seis mil novecientos metros.",
                "En sus altiplanos viven llamas, alpacas y vicuñas, adaptadas al aire frío y escaso en oxígeno.",
                "Los pueblos andinos desarrollaron terrazas de cultivo para sembrar papas y maíz en las pendientes.",
                "Muchos ríos que nacen en sus glaciares abastecen de agua a ciudades y campos.",
            ),
        ),
        (
            "El Camino de Santiago",
            (
                "El Camino de Santiago es una red de rutas de peregrinación que conducen a la catedral de Santiago de Compostela.",
                "Desde la Edad Media, miles de personas han recorrido estos caminos a pie, a caballo o en bicicleta.",
                "La ruta más conocida es el Camino francés, que cruza los Pirineos y atraviesa el norte de España.",
                "Los peregrinos llevan una credencial que van sellando en los albergues, iglesias y bares del trayecto.",
                "Quienes recorren al menos los últimos cien kilómetros a pie pueden recibir un certificado llamado la Compostela.",
                "Además de un viaje religioso, hoy muchos lo consideran una experiencia cultural y deportiva.",
            ),
        ),
        (
            "Miguel de Cervantes",
            (
                "Miguel de Cervantes nació en Alcalá de Henares en 1547 y es considerado la máxima figura de la literatura española.",
                "Antes de dedicarse a escribir, fue soldado y luchó en la batalla de Lepanto, donde resultó herido en una mano.",
                "También pasó cinco años cautivo en Argel, una experiencia que aparece en varias de sus obras.",
                "Su novela más famosa cuenta las aventuras de un hidalgo que, tras leer demasiados libros de caballerías, decide hacerse caballero andante.",
                "Don Quijote recorre La Mancha acompañado de su fiel escudero Sancho Panza.",
                "La obra se publicó en dos partes, en 1605 y 1615, y se considera una de las primeras novelas modernas.",
            ),
        ),
    ),
    "ru": (
        (
            "Байкал",
            (
                "Байкал — самое глубокое озеро на планете, его глубина превышает тысячу шестьсот метров.",
                "Оно расположено в Восточной Сибири и содержит около пятой части всей пресной поверхностной воды Земли.",
                "Вода в Байкале необычайно прозрачна, и в ясную погоду дно видно на глубине нескольких десятков метров.",
                "В озере обитает байкальская нерпа — единственный пресноводный тюлень в этой части света.",
                "Зимой поверхность покрывается толстым льдом, по которому прокладывают временные дороги.",
                "В 1996 году озеро было включено в список объектов всемирного наследия.",
            ),
        ),
        (
            "Транссибирская магистраль",
            (
                "Транссибирская магистраль — самая длинная железная дорога в мире.",
                "Она соединяет Москву с Владивостоком и имеет протяжённость более девяти тысяч километров.",
                "Строительство началось в 1891 году и продолжалось более двадцати пяти лет.",
                "Рабочим приходилось прокладывать путь через тайгу, болота и вечную мерзлоту.",
                "Поезд пересекает восемь часовых поясов, и полное путешествие занимает около недели.",
                "Магистраль сыграла огромную роль в освоении Сибири и Дальнего Востока.",
            ),
        ),
        (
            "Эрмитаж",
            (
                "Государственный Эрмитаж в Санкт-Петербурге — один из крупнейших художественных музеев мира.",
                "Его история началась в 1764 году, когда императрица Екатерина Вторая приобрела коллекцию западноевропейской живописи.",
                "Главный музейный комплекс включает Зимний дворец, бывшую резиденцию российских императоров.",
                "В собрании хранится около трёх миллионов произведений искусства и памятников культуры.",
                "Здесь можно увидеть картины Леонардо да Винчи, Рембрандта и многих других мастеров.",
                "Говорят, что если провести у каждого экспоната всего минуту, на осмотр уйдут многие годы.",
            ),
        ),
        (
            "Менделеев",
            (
                "Дмитрий Иванович Менделеев — русский химик, открывший периодический закон химических элементов.",
                "В 1869 году он представил таблицу, в которой элементы были расположены по возрастанию атомной массы.",
                "Учёный оставил в таблице пустые места для элементов, которые ещё не были известны.",
                "Позже были открыты галлий, скандий и германий, и их свойства оказались очень близки к предсказанным.",
                "Помимо химии, Менделеев занимался метрологией, экономикой и изучением нефти.",
                "В его честь назван искусственный химический элемент менделевий.",
            ),
        ),
    ),
    "ja": (
        (
            "富士山",
            (
                "富士山は静岡県と山梨県にまたがる活火山で、標高は三千七百七十六メートルです。",
                "日本で最も高い山であり、古くから信仰の対象として大切にされてきました。",
                "最後の噴火は江戸時代の千七百七年で、宝永噴火と呼ばれています。",
                "夏の登山シーズンには、毎年多くの人が山頂を目指して登ります。",
                "葛飾北斎の浮世絵など、多くの芸術作品にも富士山の姿が描かれています。",
                "二〇一三年には、富士山は世界文化遺産に登録されました。",
            ),
        ),
        (
            "茶道",
            (
                "茶道は、客を招いて抹茶をたて、もてなす日本の伝統的な文化です。",
                "室町時代から安土桃山時代にかけて、千利休によって大成されました。",
                "茶室は小さく簡素に造られ、季節の花や掛け軸が飾られます。",
                "客は決められた作法に従って、茶碗を回してから抹茶をいただきます。",
                "茶道では「一期一会」という考え方が大切にされています。",
                "現在でも、多くの人が茶道を習い、日本の美意識を学んでいます。",
            ),
        ),
        (
            "新幹線",
            (
                "新幹線は日本の高速鉄道で、最初の路線は千九百六十四年に東京と新大阪の間で開業しました。",
                "開業当時の最高速度は時速二百十キロメートルで、世界中から注目を集めました。",
                "現在では北海道から九州まで、多くの路線が整備されています。",
                "新幹線は時間に正確なことで知られ、平均の遅れは一分にも満たないと言われています。",
                "車内はとても静かで、座席を回転させて向かい合わせにすることもできます。",
                "地震を感知すると自動的に停止する仕組みも備えています。",
            ),
        ),
        (
            "和紙",
            (
                "和紙は、コウゾやミツマタなどの植物の繊維から作られる日本の伝統的な紙です。",
                "繊維が長いため、薄くても丈夫で、長い年月がたっても劣化しにくいという特徴があります。",
                "職人は水の中で繊維をすくい上げ、何度も揺らして均一な紙に仕上げます。",
                "和紙は書道や障子、ちょうちんなど、さまざまな用途に使われてきました。",
                "二〇一四年には、和紙の手すき技術がユネスコの無形文化遺産に登録されました。",
                "近年では、その美しさが海外でも評価され、美術品の修復にも利用されています。",
            ),
        ),
    ),
    "ar": (
        (
            "النخيل",
            (
                "تعد النخلة من أقدم الأشجار التي زرعها الإنسان في شبه الجزيرة العربية وبلاد الرافدين.",
                "تتحمل النخلة الحرارة الشديدة والجفاف، ولذلك تنتشر في الواحات والمناطق الصحراوية.",
                "يعتمد كثير من الناس على التمر غذاء أساسيا لأنه غني بالسكريات والألياف والمعادن.",
                "يستخدم المزارعون سعف النخيل وجذوعها في صناعة الحصر والسلال وسقوف البيوت.",
                "تختلف أصناف التمور في اللون والطعم والحجم، ويبلغ عددها عدة مئات من الأصناف.",
                "يحرص الناس في شهر رمضان على تناول التمر عند الإفطار اتباعا للعادات المتوارثة.",
            ),
        ),
        (
            "بيت الحكمة",
            (
                "كان بيت الحكمة في بغداد مركزا علميا كبيرا في عهد الدولة العباسية.",
                "اجتمع فيه العلماء والمترجمون لنقل كتب الفلسفة والطب والرياضيات من اليونانية والفارسية والسريانية إلى العربية.",
                "ازدهر نشاطه في عهد الخليفة المأمون في أوائل القرن التاسع الميلادي.",
                "من أشهر العلماء الذين ارتبطت أسماؤهم به الخوارزمي الذي كتب في الجبر والحساب.",
                "أسهمت هذه الترجمات في حفظ كثير من المعارف القديمة ونقلها لاحقا إلى أوروبا.",
                "تعرضت مكتبات بغداد للتدمير عندما اجتاح المغول المدينة في القرن الثالث عشر.",
            ),
        ),
        (
            "الخط العربي",
            (
                "الخط العربي فن من فنون الكتابة يقوم على جمال الحروف وتناسقها.",
                "تطور الخط عبر القرون، وظهرت له أنواع كثيرة مثل الكوفي والنسخ والثلث والديواني والرقعة.",
                "استخدم الخطاطون أقلاما من القصب وأحبارا يصنعونها بأنفسهم.",
                "تزين العبارات المكتوبة بالخط الجميل جدران المساجد والقصور والكتب القديمة.",
                "يحتاج الخطاط إلى سنوات طويلة من التدريب حتى يتقن قواعد كل نوع من أنواع الخط.",
                "أدرجت منظمة اليونسكو الخط العربي في قائمة التراث الثقافي غير المادي قبل سنوات قليلة.",
            ),
        ),
        (
            "الربع الخالي",
            (
                "الربع الخالي أكبر صحراء رملية متصلة في العالم، ويقع في جنوب شبه الجزيرة العربية.",
                "تمتد كثبانه الرملية على مساحات شاسعة، ويصل ارتفاع بعضها إلى مئات الأمتار.",
                "تتجاوز درجات الحرارة فيه خمسين درجة مئوية في الصيف، بينما تنخفض كثيرا في ليالي الشتاء.",
                "عبر الرحالة هذه الصحراء قديما على ظهور الإبل مستعينين بالنجوم لمعرفة الاتجاهات.",
                "رغم قسوة الظروف، تعيش فيه بعض الحيوانات مثل المها العربي والثعالب والزواحف.",
                "كشفت الدراسات عن وجود بحيرات قديمة جفت منذ آلاف السنين تحت رماله.",
            ),
        ),
    ),
}

# Held-out prose for eval_qa only: no training source draws from it, so an eval passage
# shares a 13-gram with training text only where a leak is planted.
_EVAL_PROSE: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "en": (
        (
            "Glassblowing",
            (
                "Glassblowing is a technique in which a worker inflates molten glass into a bubble by blowing through a long hollow metal tube.",
                "The method appeared along the eastern shore of the Mediterranean in the first century before our era and spread quickly through the Roman world.",
                "A gather of glass is taken from the furnace on the end of the pipe and shaped by rolling it on a flat slab of polished steel called a marver.",
                "Because the material cools quickly, the piece must go back into a smaller furnace known as the glory hole again and again while it is being formed.",
                "Finished vessels are placed in an annealing oven, where the temperature falls slowly over many hours so that internal stresses do not crack the glass.",
                "The island of Murano near Venice became famous for its glassworks after the city moved its furnaces there in 1291 to reduce the danger of fire.",
                "Studio glass artists of the twentieth century adapted small furnaces for individual workshops, freeing the craft from large factories.",
            ),
        ),
        (
            "The abacus",
            (
                "An abacus is a counting frame with beads that slide along rods, used for arithmetic long before written numerals were common.",
                "Each rod stands for a place value, so that a skilled user can add, subtract, multiply and divide by moving beads in a fixed order.",
                "The Chinese suanpan usually has two beads above the bar and five below, while the Japanese soroban has one above and four below.",
                "Merchants in many parts of Asia kept their accounts with an abacus well into the second half of the twentieth century.",
                "In a famous contest held in Tokyo in 1946, a clerk using a soroban defeated an American soldier operating an electric calculator.",
                "Teachers still use the abacus to help young children understand how numbers are built from units, tens and hundreds.",
                "Some expert users learn to picture the beads in their minds and can calculate quickly without touching a real frame.",
            ),
        ),
        (
            "Windmills",
            (
                "A windmill converts the energy of moving air into rotation by means of sails or blades mounted on a horizontal shaft.",
                "The earliest known windmills, built in Persia more than a thousand years ago, turned around a vertical axis and were used to grind grain.",
                "In the Netherlands, rows of windmills pumped water out of low-lying land and made it possible to farm fields that had once been marshes.",
                "A miller had to turn the cap of the mill so that the sails faced directly into the wind whenever its direction changed.",
                "Sawmills driven by wind allowed Dutch shipbuilders to cut timber far faster than teams of workers using hand saws.",
                "By the end of the nineteenth century, steam engines had replaced most working windmills across Europe.",
                "Many surviving mills have been restored by volunteers who open them to visitors on national mill days.",
            ),
        ),
        (
            "Penguins",
            (
                "Penguins are flightless seabirds that live almost entirely in the Southern Hemisphere, from the icy coasts of Antarctica to the Galapagos Islands.",
                "Their wings have evolved into stiff flippers that let them swim with remarkable speed and agility in pursuit of fish, squid and krill.",
                "A dense layer of overlapping feathers and a thick coat of fat keep their bodies warm in freezing water.",
                "Emperor penguins breed during the Antarctic winter, and the males balance a single egg on their feet for about two months without eating.",
                "Thousands of birds huddle together against the wind, taking turns to move from the cold edge of the group towards its sheltered centre.",
                "Most species return to the same nesting colony every year, and many pairs recognise each other by their calls.",
                "Warming seas and shrinking sea ice threaten several populations by reducing the supply of the small animals they feed on.",
            ),
        ),
        (
            "The violin",
            (
                "The violin is a wooden string instrument played with a bow, and it is the smallest and highest-pitched member of its family.",
                "Its four strings are tuned in fifths, and the player changes the pitch by pressing them against a fingerboard that has no frets.",
                "Instrument makers in the northern Italian town of Cremona perfected its shape during the sixteenth and seventeenth centuries.",
                "Antonio Stradivari, the best known of these craftsmen, built more than a thousand instruments, of which about six hundred survive.",
                "The bow is strung with horsehair that is rubbed with rosin so that it grips the string and sets it vibrating.",
                "Violins lead the symphony orchestra and the string quartet, and they are heard in many traditions of folk music as well.",
                "Scientists have studied the varnish and the density of the old Cremonese wood in an effort to explain their celebrated tone.",
            ),
        ),
        (
            "Salt",
            (
                "Common salt is a mineral made mostly of sodium chloride, and small amounts of it are essential for the health of people and animals.",
                "People obtain it by mining deposits of rock salt underground or by letting sea water evaporate in shallow ponds under the sun.",
                "Before refrigeration, salting was one of the most important ways of preserving meat and fish through the winter.",
                "Roman soldiers were sometimes given an allowance to buy salt, a practice often linked to the origin of the word salary.",
                "Taxes on salt were a major source of income for many governments, and their unfairness provoked protests and even revolts.",
                "In 1930, Mahatma Gandhi led a march of almost four hundred kilometres to the sea to make salt in defiance of a colonial monopoly.",
                "Today much of the salt produced worldwide is used not for food but in the chemical industry and to clear ice from winter roads.",
            ),
        ),
        (
            "Sundials",
            (
                "A sundial tells the time of day from the position of a shadow cast by the sun on a marked surface.",
                "The part that casts the shadow, called the gnomon, must point towards the celestial pole for the dial to read correctly all year.",
                "Egyptian priests used simple shadow clocks more than three thousand years ago to divide the daylight into hours.",
                "Because the length of a solar day varies slightly over the year, a sundial can run up to a quarter of an hour ahead of a mechanical clock or behind it.",
                "Many old churches carry a vertical dial on a south-facing wall, often painted with a short Latin motto about the passing of time.",
                "Village clocks were set by the sundial until telegraph signals began to deliver accurate time over long distances.",
                "Garden dials are still sold today, although most are decorative and are rarely aligned with enough care to show the true hour.",
            ),
        ),
        (
            "Maple syrup",
            (
                "Maple syrup is made from the sap of sugar maple trees, which is collected in early spring when freezing nights alternate with mild days.",
                "Producers drill a small hole into each trunk and insert a spout, from which the clear and only slightly sweet sap drips into buckets or plastic tubing.",
                "About forty litres of sap must be boiled down to obtain a single litre of finished syrup.",
                "The indigenous peoples of northeastern North America were making maple sugar long before European settlers arrived.",
                "Quebec produces most of the world's supply and keeps a strategic reserve of barrels to steady prices after poor harvests.",
                "Syrup is graded by colour and flavour, from a golden kind with a delicate taste to a very dark one used mainly in cooking.",
                "A traditional sugar shack serves pancakes, baked beans and ham, and visitors pour hot syrup onto snow to make a chewy sweet.",
            ),
        ),
    ),
    "zh-cn": (
        (
            "围棋",
            (
                "围棋起源于中国，是一种两人对弈的策略性棋类游戏，至今已有四千多年的历史。",
                "棋盘上纵横各有十九条线，形成三百六十一个交叉点。",
                "双方分别执黑子和白子，轮流把棋子下在交叉点上，以围住更多的地盘为目标。",
                "古人把围棋与琴、书、画并称为文人的四种雅好。",
                "唐朝时，围棋传到日本，后来又在朝鲜半岛流行开来。",
                "围棋的规则虽然简单，变化却极其复杂，被认为是最难下的棋类之一。",
                "二〇一六年，一个电脑程序战胜了世界顶尖棋手，引起了全世界的关注。",
            ),
        ),
        (
            "中秋节",
            (
                "中秋节在农历八月十五日，这一天的月亮被认为是一年中最圆最亮的。",
                "人们把圆月看作团圆的象征，因此中秋节又叫团圆节。",
                "到了晚上，一家人围坐在院子里，一边赏月，一边吃月饼和水果。",
                "月饼的馅料多种多样，常见的有豆沙、莲蓉、五仁和蛋黄。",
                "民间流传着嫦娥奔月的故事，说她吃了仙药以后飞到了月宫。",
                "有些地方还有提灯笼、猜灯谜和舞火龙的习俗。",
                "从二〇〇八年起，中秋节成为全国的法定假日，人们可以休息一天。",
            ),
        ),
        (
            "京剧",
            (
                "京剧是中国影响最大的戏曲剧种之一，形成于清朝中期的北京。",
                "它融合了唱、念、做、打四种表演手段，讲究程式化的动作。",
                "京剧的角色分为生、旦、净、丑四大行当，各有不同的扮相和唱法。",
                "演员脸上勾画的脸谱颜色丰富，红色通常代表忠勇，白色往往代表奸诈。",
                "伴奏乐器以京胡、月琴和锣鼓为主，节奏鲜明。",
                "梅兰芳是著名的京剧表演艺术家，曾多次到国外演出。",
                "如今，许多中小学开设了京剧兴趣课，让孩子们从小接触这门艺术。",
            ),
        ),
        (
            "算盘",
            (
                "算盘是中国传统的计算工具，由木框、横梁和串在细杆上的算珠组成。",
                "每一根细杆代表一个数位，梁上的珠子一颗当五，梁下的珠子一颗当一。",
                "熟练的人拨动算珠，可以很快地完成加减乘除的运算。",
                "过去，商店的账房先生几乎人人都会打算盘。",
                "人们常用“如意算盘”来形容只考虑对自己有利的打算。",
                "电子计算器普及以后，使用算盘的人越来越少了。",
                "不过，一些学校仍然教孩子学习珠心算，用来锻炼思维能力。",
            ),
        ),
        (
            "太极拳",
            (
                "太极拳是中国传统的武术项目，动作缓慢柔和，讲究以静制动。",
                "练习时要求呼吸均匀，全身放松，手脚协调地连贯运动。",
                "太极拳有陈式、杨式、吴式等多个流派，风格各有不同。",
                "每天清晨，公园里常常可以看到许多老人在一起打太极拳。",
                "经常练习可以增强平衡能力，对身体健康很有好处。",
                "如今，太极拳已经传播到世界上一百多个国家和地区。",
                "练好太极拳需要长期坚持，急于求成往往适得其反。",
            ),
        ),
        (
            "剪纸",
            (
                "剪纸是中国民间的一种传统艺术，人们用剪刀或刻刀在纸上剪出各种图案。",
                "常见的题材有花鸟、动物、人物和吉祥的文字。",
                "每逢春节，北方许多人家会把红色的窗花贴在窗户上，增添节日的气氛。",
                "剪纸的技法包括阴刻和阳刻，有的作品还要把纸折叠好几次再剪。",
                "不同地区的剪纸风格差别很大，有的粗犷豪放，有的细腻精巧。",
                "老一辈的剪纸艺人往往不用打稿，拿起剪刀就能剪出复杂的图案。",
                "现在，剪纸图案也常常出现在邮票、服装和商品包装上。",
            ),
        ),
    ),
}
# Topics only the eval items leaked whole are drawn from, so that a copy of one of them in
# training data carries no sentence of any other eval item.
_EVAL_LEAKED_TOPICS = frozenset({"Glassblowing", "Windmills", "Penguins", "围棋", "京剧"})


def _eval_prose(leaked: bool) -> dict[str, Any]:
    """The held-out topics eval items leaked whole are drawn from (or the others)."""
    return {
        language: tuple(t for t in topics if (t[0] in _EVAL_LEAKED_TOPICS) == leaked)
        for language, topics in _EVAL_PROSE.items()
    }


# One more held-out sentence per eval topic, outside the pool the passages are drawn from: a
# partial leak adds it to one eval item (at the end of its first block) and to one training
# document, so the two share that sentence and nothing else.
_EVAL_QUOTES = {
    "Glassblowing": "Venetian authorities once forbade master glassblowers to leave the republic, fearing that they would carry the secrets of their trade to rival cities.",
    "The abacus": "In several Japanese primary schools pupils still practise on the soroban for a few minutes each morning, and national examinations grade their speed and accuracy.",
    "Windmills": "The largest traditional mill in the Netherlands has sails almost thirty metres across, and on a windy day its stones can grind several tonnes of grain.",
    "Penguins": "The smallest species, the little penguin of southern Australia and New Zealand, stands barely thirty centimetres tall and comes ashore only after dark.",
    "The violin": "A good bow may cost as much as the instrument itself, because its stick must be cut from dense tropical wood and bent by hand over a flame.",
    "Salt": "Workers in the old salt mine of Wieliczka in southern Poland carved chapels, statues and even chandeliers out of the rock salt around them.",
    "Sundials": "The sundial on the tower of the old town hall in one Bavarian village has told the hour to passers-by for more than four hundred years.",
    "Maple syrup": "In a good season a single large maple can yield enough sap for about two litres of syrup, although most trees give rather less.",
    "围棋": "围棋在古代又被称为“弈”，孔子和孟子的言论中都曾经提到过下棋的人。",
    "中秋节": "在一些南方城市，孩子们会在中秋之夜提着自己做的兔子灯走街串巷。",
    "京剧": "一出传统京剧常常要演上好几个小时，老戏迷们一边喝茶一边大声叫好。",
    "算盘": "熟练的珠算高手计算多位数乘法，速度有时比电子计算器还要快。",
    "太极拳": "许多外国游客来到中国，专门报名参加为期几周的太极拳学习班。",
    "剪纸": "一位老艺人曾经用一整张红纸剪出了一百个神态各异的娃娃。",
}

# Words (or characters) that replace one unit each when a near duplicate is planted.
_SUBSTITUTES = {
    "en": ("also", "often", "indeed", "still", "largely", "mostly", "quite", "rather"),
    "fr": ("aussi", "souvent", "encore", "plutôt", "vraiment", "surtout"),
    "de": ("auch", "oft", "noch", "eher", "wirklich", "meist"),
    "es": ("también", "siempre", "todavía", "bastante", "realmente"),
    "ru": ("также", "часто", "ещё", "вполне", "действительно"),
    "ar": ("أيضا", "غالبا", "كذلك", "حقا", "فعلا"),
    "zh-cn": tuple("之其此该亦皆甚颇乃均"),
    "ja": tuple("のがをにへともや"),
}
# Longest filler per language: short sentence pools allow fewer long, distinct documents.
_MAX_CHARS = {
    "en": 2800,
    "fr": 1800,
    "de": 1800,
    "es": 1800,
    "ru": 1200,
    "ar": 1200,
    "zh-cn": 900,
    "ja": 600,
}
_MIN_CHARS = 200
_DOC_CHARS = (200, 3000)  # every readable document's normalised length lies in this range

# --------------------------------------------------------------------------- similarity

_WORD_UNITS = re.compile(rb"[0-9A-Za-z\x80-\xff]+")
_CHAR_UNITS = re.compile(rb"[0-9A-Za-z]|[\xc0-\xff][\x80-\xbf]*")


def _normalize(text: str) -> str:
    """NFC and stripped: the text the ledger hashes and shingles (findings.normalize_text)."""
    return unicodedata.normalize("NFC", text).strip()


def _units(text: str, cjk: bool) -> list[bytes]:
    """Return the words (or CJK characters) of a text's normalised, lower-cased form."""
    data = _normalize(text).lower().encode("utf-8", "surrogatepass")
    return (_CHAR_UNITS if cjk else _WORD_UNITS).findall(data)


def _shingles(text: str, cjk: bool, n: int = _NGRAM) -> frozenset[bytes]:
    """Return the n-shingles of a text's normalised form, as provaudit.minhash.shingles does."""
    units = _units(text, cjk)
    sep = b"" if cjk else b" "
    if len(units) < n:
        return frozenset([sep.join(units)]) if units else frozenset()
    return frozenset(sep.join(units[i : i + n]) for i in range(len(units) - n + 1))


def _jaccard(a: frozenset[bytes], b: frozenset[bytes]) -> float:
    return len(a & b) / len(a | b) if (a or b) else 1.0


def _sha256(text: str) -> str:
    return hashlib.sha256(_normalize(text).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- records


@dataclass(eq=False)
class _Doc:
    """One planted document: text, language and the record fields written around it."""

    source: str
    language: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    doc_id: str = ""  # set when its shard is written
    shard: str = ""
    location: str = ""

    def shingles(self) -> frozenset[bytes]:
        return _shingles(self.text, self.language in _CJK)


@dataclass(eq=False)
class _Bad:
    """One bad JSONL line (or a shard-level problem) with the reason a reader must give."""

    reason: str
    raw: bytes = b""
    fields: dict[str, Any] = field(default_factory=dict)
    shard: str = ""
    location: str = ""


Entry = _Doc | _Bad


class _Composer:
    """Draw filler documents from the prose, none within Jaccard 0.5 of an earlier one."""

    def __init__(self, rng: random.Random, prose: dict[str, Any] = _PROSE) -> None:
        self._rng = rng
        self._prose = prose
        self._taken: dict[str, list[frozenset[bytes]]] = {lang: [] for lang in prose}

    def register(self, text: str, language: str) -> None:
        """Count a text as drawn, so later fillers keep away from it."""
        self._taken[language].append(_shingles(text, language in _CJK))

    def compose(
        self, language: str, min_chars: int = _MIN_CHARS, max_chars: int = 0
    ) -> tuple[str, str]:
        """Return (title, text) of a new filler: one to four topic blocks, sentences in order."""
        rng, topics = self._rng, self._prose[language]
        max_chars = min(max_chars or _MAX_CHARS[language], _MAX_CHARS[language])
        joiner = "" if language in _CJK else " "
        for _ in range(2000):
            chosen = rng.sample(range(len(topics)), rng.randint(1, min(4, len(topics))))
            blocks = []
            for t in chosen:
                sentences = topics[t][1]
                keep = sorted(rng.sample(range(len(sentences)), rng.randint(2, len(sentences))))
                blocks.append(joiner.join(sentences[i] for i in keep))
            text = "\n\n".join(blocks)
            if not min_chars <= len(text) <= max_chars:
                continue
            shingles = _shingles(text, language in _CJK)
            if any(_jaccard(shingles, other) >= _SIMILAR for other in self._taken[language]):
                continue
            self._taken[language].append(shingles)
            return topics[chosen[0]][0], text
        raise RuntimeError(
            f"cannot draw another distinct {language} document of {min_chars}-{max_chars} chars"
        )


def _is_cjk_letter(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff"


def _near_copy(text: str, language: str, rng: random.Random) -> str:
    """Return text with a few units replaced, so that 0.85 <= Jaccard <= 0.95 with the original.

    Each replaced unit changes at most 5 shingles; edits are kept 5 units apart so each
    one counts fully, and stop at the first Jaccard below a target drawn in the range.
    """
    cjk = language in _CJK
    base = _shingles(text, cjk)
    target = rng.uniform(_NEAR[0] + 0.01, _NEAR[1] - 0.01)
    units = list(text) if cjk else text.split(" ")
    candidates = [i for i, u in enumerate(units) if (_is_cjk_letter(u) if cjk else u.isalpha())]
    rng.shuffle(candidates)
    edited: list[int] = []
    previous = ("", 1.0)
    for pos in candidates:
        if any(abs(pos - e) < _NGRAM for e in edited):
            continue
        units[pos] = rng.choice([w for w in _SUBSTITUTES[language] if w != units[pos]])
        edited.append(pos)
        copy = ("" if cjk else " ").join(units)
        similarity = _jaccard(base, _shingles(copy, cjk))
        if _NEAR[0] <= similarity <= target:
            return copy
        if similarity < _NEAR[0]:  # this edit overshot: the one before is in range, if any
            if previous[1] <= _NEAR[1]:
                return previous[0]
            break
        previous = (copy, similarity)
    raise RuntimeError(f"cannot edit a near duplicate of {text[:40]!r}")


# --------------------------------------------------------------------------- personal data

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _cn_id(region: str, born: str, sequence: str) -> str:
    """Return a resident identity number with its ISO 7064 MOD 11-2 check character."""
    body = region + born + sequence
    total = sum(int(c) * w for c, w in zip(body, _CN_ID_WEIGHTS))
    return body + "10X98765432"[total % 11]


def _luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += (d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
    return total % 10 == 0


_ID_A = _cn_id("110105", "19850312", "123")
_ID_B = _cn_id("440305", "19920718", "456")
_ID_BAD = _ID_A[:-1] + ("1" if _ID_A[-1] != "1" else "2")  # wrong check character
_CARDS = ("4111 1111 1111 1111", "5555 5555 5555 4444", "3782 822463 10005", "4012888888881881")
_CARD_BAD = "4111 1111 1111 1112"
assert all(_luhn_valid(c) for c in _CARDS) and not _luhn_valid(_CARD_BAD)

# (language, sentence, counts by kind): appended to a filler as its last paragraph.
_PII = (
    (
        "en",
        "For corrections please write to li.na@example.com or call +44 20 7946 0958.",
        {"email": 1, "phone": 1},
    ),
    (
        "en",
        "Readers in the United States can call +1 415 555 0132; the London office answers on +44 20 7946 0321.",
        {"phone": 2},
    ),
    (
        "en",
        f"Order confirmed: card {_CARDS[0]} was charged, and the request came from 203.0.113.42.",
        {"card": 1, "ip": 1},
    ),
    (
        "en",
        "The archive server at 198.51.100.7 mirrors this page; questions go to archive-team@example.org.",
        {"ip": 1, "email": 1},
    ),
    ("en", f"Payment received from card {_CARDS[1]}, thank you.", {"card": 1}),
    (
        "zh-cn",
        "报名请联系王老师，手机13812345678，邮箱wang.laoshi@example.com。",
        {"phone": 1, "email": 1},
    ),
    (
        "zh-cn",
        f"参赛者须提供身份证号码{_ID_A}进行实名登记，咨询电话+86 139 1234 5678。",
        {"cn_id": 1, "phone": 1},
    ),
    ("zh-cn", f"张先生的身份证号是{_ID_B}，银行卡号{_CARDS[3]}。", {"cn_id": 1, "card": 1}),
    ("ja", "お問い合わせは tanaka.yui@example.jp までご連絡ください。", {"email": 1}),
    (
        "fr",
        "Pour toute question, écrivez à contact@example.fr ou appelez le +33 1 23 45 67 89.",
        {"email": 1, "phone": 1},
    ),
    (
        "de",
        "Rückfragen bitte an redaktion@example.de oder telefonisch unter +49 30 1234567.",
        {"email": 1, "phone": 1},
    ),
    (
        "es",
        f"El pedido se pagó con la tarjeta {_CARDS[2]} desde la dirección 192.168.1.20.",
        {"card": 1, "ip": 1},
    ),
)
# Look-alikes that must count nothing: bad checksums, a version, a local number, no "@".
_DECOYS = (
    ("en", f"The part number {_CARD_BAD} is printed on the side of the box."),
    ("en", "Firmware version 2.4.10.1.3 fixed the problem, according to the release notes."),
    ("en", "The old office line was 020 7946 0018, long since disconnected."),
    ("en", "Letters to the editor go to letters (at) example (dot) com."),
    ("zh-cn", f"表格中的身份证号{_ID_BAD}校验位有误，系统提示重新填写。"),
    ("zh-cn", "编号为2023-0415-0098的档案已经归还。"),
)
_PII_KINDS = ("email", "phone", "cn_id", "card", "ip")


# --------------------------------------------------------------------------- the plan

_WEB_SITES = {  # language -> (host, license spellings)
    "en": (
        ("blog.teaclipper.co.uk", ("CC-BY-4.0", "cc by 4.0")),
        (
            "encyclopedia.openhistory.org",
            (
                "CC BY-SA 4.0",
                "cc-by-sa-4.0",
                "Creative Commons Attribution-ShareAlike 4.0 International",
            ),
        ),
        ("www.openhistory.net", ("cc-by-sa-3.0", "CC BY-SA 3.0")),
        ("www.harbourgazette.co.uk", ("All rights reserved",)),
    ),
    "zh-cn": (
        ("news.jinghua-daily.com.cn", ("版权所有",)),
        ("www.zhiwen.com.cn", ("CC BY 4.0", "CC-BY")),
    ),
    "fr": (("www.lecturesdusoir.fr", ("Licence Creative Commons Attribution 4.0", "CC BY 4.0")),),
    "de": (("www.wanderwelt.de", ("cc by 4.0", "CC-BY-4.0")),),
    "es": (("www.viajerosdelsur.es", ("CC0", "CC0 1.0")),),
    "ru": (
        (
            "www.taiga-travel.ru",
            ("https://creativecommons.org/licenses/by/4.0/deed.ru", "CC BY 4.0"),
        ),
    ),
    "ja": (("www.fujinokaze.jp", ("Creative Commons Attribution 4.0 International",)),),
    "ar": (("www.alwaha-magazine.com", ("public domain", "Public Domain")),),
}
_NEWS_HOSTS = {
    "en": "www.harbourgazette.co.uk",
    "zh-cn": "news.jinghua-daily.com.cn",
    "de": "www.wanderwelt.de",
}
_WEB_UNKNOWN_LICENSE = "see terms of use"  # a spelling normalize_license cannot recognise
# The opt-out list (opt_out.txt): a site of the crawl whose owner reserved text-and-data
# mining, and two domains the corpus never links to. The crawl holds pages from the first
# one's hosts (opted out by the parent-domain rule); no other source does.
_OPT_OUT_DOMAINS = ("inkwell-review.com", "lanternhill-press.com", "paperboat-stories.net")
_OPT_OUT_HOSTS = ("www.inkwell-review.com", "www.inkwell-review.com", "archive.inkwell-review.com")
_OPT_OUT_LICENSE = "All rights reserved"
_OPT_OUT_FILE = "opt_out.txt"
_OPT_OUT_HEADER = """\
# Opt-out list of the provaudit sample corpus, collected by the data team: domains whose
# owners reserved text-and-data mining (a TDM reservation in the site's terms or metadata)
# or disallow our crawler in robots.txt. One registrable domain per line; '#' starts a
# comment. A document is opted out when its URL host, or any parent domain of the host,
# is on this list.
# Written by `python -m provaudit.sample OUT_DIR`; do not edit by hand.
"""
_BLOG_HOSTS = {
    "en": "www.kitchenlettersblog.com",
    "es": "lamesadeana.es",
    "ar": "rihla-notes.com",
    "zh-cn": "xiaolin.blog.com.cn",
}


class _Plan:
    """Everything planted, before it is written: shards of entries and the planted links."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"provaudit-sample:{seed}")
        self.composer = _Composer(random.Random(f"provaudit-sample-prose:{seed}"))
        # eval passages come from held-out prose that no training source draws from; the
        # items leaked whole from topics of their own
        self.eval_composer = _Composer(
            random.Random(f"provaudit-sample-eval:{seed}"), _eval_prose(leaked=False)
        )
        self.leaked_composer = _Composer(
            random.Random(f"provaudit-sample-eval-leaked:{seed}"), _eval_prose(leaked=True)
        )
        self.shards: dict[str, list[Entry]] = {}
        self.cross_copies: list[tuple[_Doc, _Doc]] = []
        self.eval_leaks: list[tuple[_Doc, _Doc, str]] = []
        # (eval item, the training document quoting one of its sentences, the sentence)
        self.partial_leaks: list[tuple[_Doc, _Doc, str]] = []
        self.quotable: dict[str, list[tuple[_Doc, str]]] = {}  # language -> to be quoted
        self.near_planned: list[tuple[_Doc, _Doc]] = []
        self.pii: list[tuple[_Doc, dict[str, int]]] = []
        self.decoys: list[_Doc] = []
        self.opted_out: list[_Doc] = []  # crawl pages on a domain of the opt-out list
        self.used: set[int] = set()  # ids of documents already given a planted role
        self.catalogue: list[_Bad] = []  # rows of the Parquet file without a text column
        self.shard_problems: list[tuple[str, str, str]] = []  # (shard, location, reason)
        self._counter = 0

    def take(
        self, docs: Iterable[_Doc], language: str, min_shingles: int = 0, max_chars: int = 0
    ) -> _Doc:
        """Return the first document of a language not yet given a planted role."""
        for doc in docs:
            fits = doc.language == language and len(doc.shingles()) >= min_shingles
            fits = fits and (not max_chars or len(doc.text) <= max_chars)
            if fits and id(doc) not in self.used:
                self.used.add(id(doc))
                return doc
        raise RuntimeError(f"no unused {language} document with {min_shingles}+ shingles left")

    def filler(
        self, source: str, language: str, min_chars: int = _MIN_CHARS, max_chars: int = 0
    ) -> _Doc:
        title, text = self.composer.compose(language, min_chars, max_chars)
        return _Doc(source, language, text, title=title)

    def copy(self, doc: _Doc, source: str, text: str | None = None) -> _Doc:
        """Return a document of another record with doc's text (or the given one)."""
        return _Doc(source, doc.language, doc.text if text is None else text, title=doc.title)

    def near(self, doc: _Doc, source: str) -> _Doc:
        twin = self.copy(doc, source, _near_copy(doc.text, doc.language, self.rng))
        self.near_planned.append((doc, twin))
        return twin

    def add_pii(self, doc: _Doc, index: int) -> None:
        language, sentence, counts = _PII[index]
        assert doc.language == language, (doc.language, language)
        doc.text = f"{doc.text}\n\n{sentence}"
        self.pii.append((doc, counts))

    def add_quote(self, docs: Iterable[_Doc], language: str) -> None:
        """Plant a partial leak: a training document ends with one sentence of an eval item."""
        ev, sentence = self.quotable[language].pop(0)
        doc = self.take(docs, language, max_chars=_DOC_CHARS[1] - len(sentence) - 2)
        doc.text = f"{doc.text}\n\n{sentence}"
        self.partial_leaks.append((ev, doc, sentence))

    def add_decoy(self, doc: _Doc, index: int) -> None:
        language, sentence = _DECOYS[index]
        assert doc.language == language, (doc.language, language)
        doc.text = f"{doc.text}\n\n{sentence}"
        self.decoys.append(doc)

    def next_number(self) -> int:
        self._counter += 1
        return self._counter

    def date(self, year: int, month: int) -> str:
        return f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}"

    def spread(self, entries: Sequence[Entry], shards: Sequence[str]) -> None:
        """Deal entries over shards at random, then shuffle each shard."""
        for entry in entries:
            self.shards.setdefault(shards[self.rng.randrange(len(shards))], []).append(entry)
        for name in shards:
            self.rng.shuffle(self.shards.setdefault(name, []))


def _web_fields(plan: _Plan, doc: _Doc, host: str | None = None) -> None:
    """Give a web_crawl document an id, URL, license (in the site's spelling) and fetch date."""
    sites = _WEB_SITES[doc.language]
    site = next((s for s in sites if s[0] == host), None) or sites[plan.rng.randrange(len(sites))]
    n = plan.next_number()
    month = plan.rng.randint(1, 12)
    year = 2023 if month > 6 else plan.rng.choice((2023, 2024))
    doc.fields = {
        "id": f"wc-{n:05d}",
        "url": f"https://{site[0]}/{year}/{month:02d}/article-{n:05d}",
        "fetched": plan.date(2024, plan.rng.randint(1, 6)),
    }
    spelling = plan.rng.choice(site[1])
    if n % 23 != 0 or n // 23 % 4 == 3:
        doc.fields["license"] = spelling
    elif n // 23 % 3 == 1:  # a few records carry a null or unrecognisable license, or none
        doc.fields["license"] = None
    elif n // 23 % 3 == 2:
        doc.fields["license"] = _WEB_UNKNOWN_LICENSE


_LONG = 100  # shingles a near-duplicate base needs, so one edit moves J by less than 0.1


def _plan_corpus(seed: int) -> _Plan:
    """Draw every document and plant every fact, source by source; nothing is written yet."""
    plan = _Plan(seed)
    news = _plant_news(plan)
    evals = _plant_eval(plan)
    ru_book = _plant_books(plan)
    forum_ja = _plant_forum(plan, evals)
    web = _plant_web(plan, news, evals, ru_book, forum_ja)
    _plant_blogs(plan, web)
    _plant_warc(plan)
    return plan


def _plant_news(plan: _Plan) -> list[_Doc]:
    """licensed_news: three monthly shards (the last is cut short when written), a re-run
    article and a press contact; return the documents of the two whole shards."""
    months: dict[int, list[_Doc]] = {}
    for month, count in ((1, 40), (2, 40), (3, 30)):
        months[month] = []
        for i in range(count):
            language = plan.rng.choices(("en", "zh-cn", "de"), weights=(2, 1, 1))[0]
            doc = plan.filler("licensed_news", language)
            _news_fields(plan, doc, month, i + 1)
            months[month].append(doc)
    whole = months[1] + months[2]
    rerun = plan.copy(plan.take(whole, "en"), "licensed_news")  # re-run a month later
    _news_fields(plan, rerun, 2, 41)
    plan.used.add(id(rerun))
    months[2].append(rerun)
    plan.add_pii(plan.take(whole, "en"), 3)
    plan.shards["licensed_news/2024-01.jsonl.gz"] = list(months[1])
    plan.shards["licensed_news/2024-02.jsonl.zst"] = list(months[2])
    plan.shards["licensed_news/2024-03.jsonl.gz"] = list(months[3])
    return whole


# Eval items leaked whole: copied verbatim into the crawl, and quoted nearly in the forum.
_EVAL_VERBATIM = (2, 7, 14, 23)
_EVAL_NEAR = (10, 26)
# Partial leaks by language: how many eval items have one sentence quoted by a training document.
_EVAL_PARTIAL = {"en": 2, "zh-cn": 1}


def _plant_eval(plan: _Plan) -> list[_Doc]:
    """eval_qa: a held-out benchmark of passages with questions (20 English, 10 Chinese),
    written from held-out prose; choose the sentences training documents will quote."""
    evals = []
    leaked = set(_EVAL_VERBATIM + _EVAL_NEAR)
    for i in range(30):
        language = "en" if i < 20 else "zh-cn"
        lo, hi = (700, 1100) if language == "en" else (200, 450)
        composer = plan.leaked_composer if i in leaked else plan.eval_composer
        title, text = composer.compose(language, lo, hi)
        doc = _Doc("eval_qa", language, text, title=title)
        question = {
            "en": "Which subject does the passage describe?",
            "zh-cn": "这段文字介绍的主题是什么？",
        }
        doc.fields = {
            "qid": f"qa-{i + 1:04d}",
            "question": question[language],
            "answers": [doc.title],
        }
        plan.used.add(id(doc))
        evals.append(doc)
    plan.shards["eval_qa/test.jsonl"] = list(evals)
    for language, count in _EVAL_PARTIAL.items():  # the first items of distinct topics
        quotable = plan.quotable.setdefault(language, [])
        for i, doc in enumerate(evals):
            titles = {ev.title for ev, _ in quotable}
            if i in leaked or doc.language != language or doc.title in titles:
                continue
            if len(quotable) == count:
                break
            sentence = _EVAL_QUOTES[doc.title]  # the end of the first block gets it
            if len(_units(sentence, language in _CJK)) < _LEAK_NGRAM + 2:
                raise RuntimeError(f"quote too short for a {_LEAK_NGRAM}-gram: {sentence}")
            first, *rest = doc.text.split("\n\n")
            joiner = "" if language in _CJK else " "
            doc.text = "\n\n".join([first + joiner + sentence, *rest])
            quotable.append((doc, sentence))
        if len(quotable) < count:
            raise RuntimeError(f"too few {language} eval items to plant {count} partial leaks")
    return evals


def _plant_books(plan: _Plan) -> _Doc:
    """open_books: chapters in two Parquet files (one reprinted, one null), and a catalogue
    file without the text column; return a Russian chapter for the crawl to copy."""
    first: list[_Doc] = []
    for name, counts in (("books-0000", (15, 8, 8, 8)), ("books-0001", (12, 6, 6, 6))):
        rows: list[Entry] = []
        for language, count in zip(("en", "fr", "es", "ru"), counts):
            for _ in range(count):
                doc = plan.filler("open_books", language, 700)
                _book_fields(plan, doc, language, doc.title)
                rows.append(doc)
        plan.shards[f"open_books/{name}.parquet"] = rows
        first = first or [r for r in rows if isinstance(r, _Doc)]
    second = plan.shards["open_books/books-0001.parquet"]
    reprint = plan.copy(plan.take(first, "en"), "open_books")  # the same chapter twice
    _book_fields(plan, reprint, "en", reprint.title)
    null_row = _Bad("missing-text")
    _book_fields(plan, null_row, "en", "Untitled")
    second += [reprint, null_row]
    catalogue = []
    for _ in range(10):
        row = _Bad("schema-mismatch")
        _book_fields(plan, row, "en", "Catalogue entry")
        catalogue.append(row)
    plan.catalogue = catalogue
    plan.shard_problems.append(("open_books/books-0002.parquet", "shard", "schema-mismatch"))
    return plan.take(first, "ru", _LONG)


def _plant_forum(plan: _Plan, evals: list[_Doc]) -> _Doc:
    """forum_dump: posts with a repost, near twins, eval passages quoted, personal data, a
    latin-1 file and a blank one; return a Japanese post the crawl quotes whole."""
    forum: list[Entry] = []
    for language, count in (("en", 22), ("zh-cn", 12), ("ja", 8)):
        forum += [plan.filler("forum_dump", language) for _ in range(count)]
    posts = [d for d in forum if isinstance(d, _Doc)]
    forum.append(plan.copy(plan.take(posts, "en"), "forum_dump"))  # a repost
    for language in ("zh-cn", "en"):
        forum.append(plan.near(plan.take(posts, language, _LONG), "forum_dump"))
    for index in _EVAL_NEAR:  # eval passages quoted, a few words changed
        twin = plan.near(evals[index], "forum_dump")
        plan.eval_leaks.append((evals[index], twin, "near"))
        forum.append(twin)
    for index in (1, 6, 7, 8):
        plan.add_pii(plan.take(posts, _PII[index][0]), index)
    for index in (2, 5):
        plan.add_decoy(plan.take(posts, _DECOYS[index][0]), index)
    plan.add_quote(posts, "en")  # a post quoting one sentence of an eval passage
    forum.append(_Bad("invalid-utf8", raw=_LATIN1_POST))
    forum.append(_Bad("empty-shard", raw=b"  \n\n\t\n"))
    plan.rng.shuffle(forum)
    plan.shards["forum_dump"] = forum  # one file per entry, named when written
    return plan.take(posts, "ja")


def _plant_web(
    plan: _Plan, news: list[_Doc], evals: list[_Doc], ru_book: _Doc, forum_ja: _Doc
) -> list[_Doc]:
    """web_crawl: a multilingual crawl with per-document licenses, the 20 licensed articles
    republished, mirrors, near twins, eval leaks, personal data and a bad line of each kind;
    return its original (not copied) pages."""
    pages: list[_Doc] = []
    for language, count in (
        ("en", 45),
        ("zh-cn", 24),
        ("fr", 16),
        ("de", 16),
        ("es", 16),
        ("ru", 12),
        ("ja", 12),
        ("ar", 12),
    ):
        pages += [plan.filler("web_crawl", language) for _ in range(count)]
    for doc in pages:
        _web_fields(plan, doc)
    copies: list[_Doc] = []

    def web_copy(doc: _Doc, text: str | None = None, host: str | None = None) -> _Doc:
        twin = plan.copy(doc, "web_crawl", text)
        _web_fields(plan, twin, host)
        copies.append(twin)
        return twin

    for doc in [d for d in news if id(d) not in plan.used][:20]:  # the cross-source copy
        plan.used.add(id(doc))
        plan.cross_copies.append((doc, web_copy(doc, host=_NEWS_HOSTS[doc.language])))
    for language in ("de", "en"):  # two more articles, lightly edited
        base = plan.take(news, language, _LONG)
        twin = web_copy(base, _near_copy(base.text, language, plan.rng), _NEWS_HOSTS[language])
        plan.near_planned.append((base, twin))
    for language, count in (("en", 1), ("en", 2), ("zh-cn", 1)):  # mirrors in the crawl
        base = plan.take(pages, language)
        for _ in range(count):
            web_copy(base)
    base = plan.take(pages, "fr")  # a mirror in decomposed Unicode with trailing space
    web_copy(base, unicodedata.normalize("NFD", base.text) + "  \n")
    for language in ("en", "en", "zh-cn", "zh-cn", "fr", "ja"):
        base = plan.take(pages, language, _LONG)
        twin = web_copy(base, _near_copy(base.text, language, plan.rng))
        plan.near_planned.append((base, twin))
    for index in _EVAL_VERBATIM:  # eval passages copied verbatim
        plan.eval_leaks.append((evals[index], web_copy(evals[index]), "verbatim"))
    web_copy(forum_ja)  # a forum post quoted whole
    twin = web_copy(ru_book, _near_copy(ru_book.text, "ru", plan.rng))
    plan.near_planned.append((ru_book, twin))
    for index in (0, 2, 5, 9, 10):
        plan.add_pii(plan.take(pages, _PII[index][0]), index)
    for index in (0, 1, 4):
        plan.add_decoy(plan.take(pages, _DECOYS[index][0]), index)
    plan.add_quote(pages, "zh-cn")  # a page quoting one sentence of an eval passage
    # the last unused English pages come from a site that reserved text-and-data mining
    spare = [d for d in pages if d.language == "en" and id(d) not in plan.used]
    for doc, host in zip(spare[-len(_OPT_OUT_HOSTS) :], _OPT_OUT_HOSTS):
        plan.used.add(id(doc))
        doc.fields["url"] = f"https://{host}/" + doc.fields["url"].split("/", 3)[3]
        if doc.fields.get("license"):
            doc.fields["license"] = _OPT_OUT_LICENSE
        plan.opted_out.append(doc)
    shards = [f"web_crawl/part-{i:05d}.jsonl" for i in range(3)]
    plan.spread(pages + copies, shards)
    bad_shard = plan.shards[shards[1]]
    for bad in _web_bad_lines():
        bad_shard.insert(plan.rng.randint(1, len(bad_shard) - 1), bad)
    plan.shards["web_crawl/part-00003.jsonl"] = []
    plan.shard_problems.append(("web_crawl/part-00003.jsonl", "shard", "empty-shard"))
    return pages


def _plant_blogs(plan: _Plan, web: list[_Doc]) -> None:
    """scraped_blogs: posts declared "see website", with a crawl page copied, near twins of
    crawl pages, personal data and one line that is not JSON."""
    blogs: list[Entry] = []
    for language, count in (("en", 10), ("es", 8), ("ar", 6), ("zh-cn", 4)):
        blogs += [plan.filler("scraped_blogs", language) for _ in range(count)]
    posts = [d for d in blogs if isinstance(d, _Doc)]
    blogs.append(plan.copy(plan.take(web, "en"), "scraped_blogs"))
    for language in ("en", "es", "zh-cn", "ar"):
        blogs.append(plan.near(plan.take(web, language, _LONG), "scraped_blogs"))
    plan.add_pii(plan.take(posts, "es"), 11)
    plan.add_pii(plan.take(posts, "en"), 4)
    plan.add_decoy(plan.take(posts, "en"), 3)
    plan.add_quote(posts, "en")  # a post quoting one sentence of an eval passage
    for doc in blogs:
        if isinstance(doc, _Doc):
            doc.fields = {
                "permalink": _blog_url(plan, doc.language),
                "published": plan.date(2023, plan.rng.randint(1, 12)),
            }
    plan.rng.shuffle(blogs)
    blogs.insert(
        plan.rng.randint(1, len(blogs) - 1),
        _Bad("invalid-json", raw=b"{'content': 'a Python dict, not JSON'}"),
    )
    plan.shards["scraped_blogs/blogs.jsonl"] = blogs


def _plant_warc(plan: _Plan) -> None:
    """crawl_warc: twelve HTML pages of an encyclopedia mirror and one plain-text page (the
    image response and the file that is not a WARC are added when written)."""
    languages = ("en", "en", "en", "en", "fr", "fr", "fr", "de", "de", "de", "es", "es", "en")
    plan.shards["crawl_warc"] = [plan.filler("crawl_warc", lang, 400, 2000) for lang in languages]


_LATIN1_POST = (
    "Bonjour à tous ! Ce message a été enregistré en Latin-1 et non en UTF-8 : les accents "
    "é, è, à et ç y sont codés sur un seul octet, que le lecteur ne peut pas décoder.\n"
).encode("latin-1")


def _web_bad_lines() -> list[_Bad]:
    """One bad web_crawl line of every kind a JSONL reader reports, and an oversize page."""
    sentences = [s for _, group in _PROSE["en"] for s in group]
    long_text = " ".join(sentences[i % len(sentences)] for i in range(400))[:30_000]
    long_text = long_text[:-1] + "."
    assert len(long_text) == 30_000

    def line(record: dict[str, Any]) -> bytes:
        return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")

    host = "https://www.harbourgazette.co.uk/2024/03"
    return [
        _Bad(
            "invalid-json",
            raw=f'{{"id": "wc-bad-1", "url": "{host}/lost", "text": "The line ends before its'.encode(),
        ),
        _Bad("invalid-json", raw=b'["not", "an", "object"]'),
        _Bad(
            "invalid-utf8",
            raw=b'{"id": "wc-bad-3", "text": "Caf\xe9 au lait, written in Latin-1."}',
        ),
        _Bad(
            "missing-text",
            raw=line({"id": "wc-bad-4", "url": f"{host}/empty", "title": "Empty page"}),
        ),
        _Bad("missing-text", raw=line({"id": "wc-bad-5", "url": f"{host}/null", "text": None})),
        _Bad("non-string-text", raw=line({"id": "wc-bad-6", "text": 404})),
        _Bad("non-string-text", raw=line({"id": "wc-bad-7", "text": ["Tea", "is", "a", "drink"]})),
        _Bad(
            "oversize-document",
            raw=line({"id": "wc-bad-8", "url": f"{host}/everything", "text": long_text}),
        ),
    ]


def _news_fields(plan: _Plan, doc: _Doc, month: int, number: int) -> None:
    article_id = f"NW-2024-{month:02d}-{number:04d}"
    desk = {"en": "world", "zh-cn": "china", "de": "europe"}[doc.language]
    doc.fields = {
        "article_id": article_id,
        "desk": desk,
        "headline": doc.title,
        "link": f"https://wire.northsea-news.com/{desk}/{article_id.lower()}",
        "published": plan.date(2024, month),
    }


def _book_fields(plan: _Plan, row: _Doc | _Bad, language: str, title: str) -> None:
    n = plan.next_number()
    chapter = plan.rng.randint(1, 30)
    row.fields = {
        "book_id": f"ob-{n:05d}",
        "title": title,
        "chapter": chapter,
        "language": language,
    }


def _blog_url(plan: _Plan, language: str) -> str:
    n = plan.next_number()
    return f"https://{_BLOG_HOSTS[language]}/{plan.rng.choice((2022, 2023))}/post-{n:05d}.html"


# --------------------------------------------------------------------------- writing


def _gzip(data: bytes) -> bytes:
    """Gzip with no file name and time 0, so the bytes depend on the data only."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as out:
        out.write(data)
    return buf.getvalue()


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=10, write_checksum=True).compress(data)


def _jsonl(entries: Sequence[Entry], shard: str, text_field: str, id_field: str | None) -> bytes:
    """Serialise a JSONL shard and give each entry its location (and each document its id)."""
    lines = []
    for number, entry in enumerate(entries, 1):
        entry.shard, entry.location = shard, f"line:{number}"
        if isinstance(entry, _Bad):
            lines.append(entry.raw)
            continue
        record = {**entry.fields, text_field: entry.text}
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        entry.doc_id = str(entry.fields[id_field]) if id_field else f"{shard}#{entry.location}"
    return b"".join(line + b"\n" for line in lines)


def _parquet(entries: Sequence[Entry], shard: str, with_text: bool = True) -> bytes:
    """Serialise a Parquet shard, rows sorted by book_id, with one explicit schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = sorted(entries, key=lambda e: e.fields["book_id"])
    columns: dict[str, Any] = {
        "book_id": [e.fields["book_id"] for e in rows],
        "title": [e.fields["title"] for e in rows],
        "chapter": [e.fields["chapter"] for e in rows],
        "language": [e.fields["language"] for e in rows],
    }
    fields = [
        pa.field("book_id", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("chapter", pa.int32()),
        pa.field("language", pa.string()),
    ]
    if with_text:
        columns["content"] = [e.text if isinstance(e, _Doc) else None for e in rows]
        fields.append(pa.field("content", pa.string()))
    for row, entry in enumerate(rows):
        entry.shard, entry.location = shard, f"row:{row}"
        if isinstance(entry, _Doc):
            entry.doc_id = entry.fields["book_id"]
    table = pa.table(columns, schema=pa.schema(fields))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", row_group_size=64)
    return buf.getvalue()


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title} - Open History</title>
<style>body {{ font-family: serif; max-width: 40em; }}</style>
<script>window.analytics = window.analytics || []; analytics.push(["page"]);</script>
</head><body>
<nav><a href="/">Open History</a> | <a href="/random">Random article</a></nav>
<article><h1>{title}</h1>
{paragraphs}
</article>
<footer><p>Text is available under the Creative Commons Attribution-ShareAlike License.</p>{contact}</footer>
</body></html>
"""
_PAGE_CONTACT = "<p>Corrections: webmaster@example.org</p>"
_LANG_PATH = {"en": "en", "fr": "fr", "de": "de", "es": "es"}


def _warc(plan: _Plan, entries: Sequence[_Doc], shard: str) -> bytes:
    """Write a WARC: warcinfo, then a request and a response per page, a text and an image."""
    from html import escape

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from provaudit.readers import html_to_text

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    clock = iter(range(10_000))

    def headers() -> dict[str, str]:
        second = next(clock)
        return {
            "WARC-Record-ID": f"<urn:uuid:{uuid.UUID(int=plan.rng.getrandbits(128), version=4)}>",
            "WARC-Date": f"2024-05-01T06:{second // 60:02d}:{second % 60:02d}Z",
        }

    info = b"software: provaudit-sample-crawler/1.0\r\nformat: WARC File Format 1.1\r\nrobots: obey\r\n"
    writer.write_record(
        writer.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(info),
            length=len(info),
            warc_content_type="application/warc-fields",
            warc_headers_dict={**headers(), "WARC-Filename": shard.rsplit("/", 1)[-1]},
        )
    )

    def respond(uri: str, content_type: str, payload: bytes) -> tuple[str, str]:
        host, _, path = uri.partition("://")[2].partition("/")
        request = StatusAndHeaders(
            f"GET /{path} HTTP/1.1",
            [("Host", host), ("User-Agent", "provaudit-sample-crawler/1.0")],
            is_http_request=True,
        )
        writer.write_record(
            writer.create_warc_record(
                uri, "request", http_headers=request, warc_headers_dict=headers()
            )
        )
        http = StatusAndHeaders(
            "200 OK",
            [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
            protocol="HTTP/1.1",
        )
        warc_headers = headers()
        offset = buf.tell()
        writer.write_record(
            writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(payload),
                length=len(payload),
                http_headers=http,
                warc_headers_dict=warc_headers,
            )
        )
        return f"offset:{offset}", warc_headers["WARC-Record-ID"].strip("<>")

    *pages, plain = entries
    for n, doc in enumerate(pages):
        paragraphs = "\n".join(f"<p>{escape(p, quote=False)}</p>" for p in doc.text.split("\n\n"))
        contact = _PAGE_CONTACT if n == 2 else ""
        html = _PAGE.format(
            lang=doc.language, title=escape(doc.title), paragraphs=paragraphs, contact=contact
        )
        uri = f"https://{_LANG_PATH[doc.language]}.openhistory.org/wiki/page-{n + 1:03d}"
        doc.location, doc.doc_id = respond(uri, "text/html; charset=utf-8", html.encode("utf-8"))
        doc.text, doc.shard = html_to_text(html), shard
        doc.fields = {"url": uri}
        if contact:
            plan.pii.append((doc, {"email": 1}))
    image = _Bad("schema-mismatch", shard=shard)
    image.location, _ = respond(
        "https://en.openhistory.org/static/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(56)
    )
    uri = "https://en.openhistory.org/robots-notes.txt"
    plain.location, plain.doc_id = respond(
        uri, "text/plain; charset=utf-8", plain.text.encode("utf-8")
    )
    plain.shard, plain.fields = shard, {"url": uri}
    plan.shards[shard] = [*pages, image, plain]
    return buf.getvalue()


def _cut_gzip(plan: _Plan, shard: str, data: bytes) -> bytes:
    """Cut a gzip shard at 60%; record which lines survive and where the reader must stop."""
    cut = data[: len(data) * 6 // 10]
    complete = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut).count(b"\n")
    for entry in plan.shards[shard]:
        if int(entry.location.split(":")[1]) > complete:
            entry.location = ""  # lost: never read
    plan.shard_problems.append((shard, f"line:{complete + 1}", "truncated-compression"))
    return cut


def _write_shards(plan: _Plan, out_dir: Path) -> dict[str, bytes]:
    """Serialise every shard: relative path -> bytes."""
    files: dict[str, bytes] = {}
    for shard in (
        "web_crawl/part-00000.jsonl",
        "web_crawl/part-00001.jsonl",
        "web_crawl/part-00002.jsonl",
        "web_crawl/part-00003.jsonl",
    ):
        files[shard] = _jsonl(plan.shards[shard], shard, "text", "id")
    for shard in ("licensed_news/2024-01.jsonl.gz", "licensed_news/2024-03.jsonl.gz"):
        files[shard] = _gzip(_jsonl(plan.shards[shard], shard, "body", "article_id"))
    files["licensed_news/2024-03.jsonl.gz"] = _cut_gzip(
        plan, "licensed_news/2024-03.jsonl.gz", files["licensed_news/2024-03.jsonl.gz"]
    )
    shard = "licensed_news/2024-02.jsonl.zst"
    files[shard] = _zstd(_jsonl(plan.shards[shard], shard, "body", "article_id"))
    for name in ("books-0000", "books-0001"):
        shard = f"open_books/{name}.parquet"
        files[shard] = _parquet(plan.shards[shard], shard)
    shard = "open_books/books-0002.parquet"
    files[shard] = _parquet(plan.catalogue, shard, with_text=False)
    for number, entry in enumerate(plan.shards.pop("forum_dump"), 1):
        shard = f"forum_dump/post-{number:04d}.txt"
        plan.shards[shard] = [entry]
        entry.shard = shard
        if isinstance(entry, _Bad):
            files[shard] = entry.raw
            entry.location = "file" if entry.reason == "invalid-utf8" else "shard"
        else:
            files[shard] = (entry.text + "\n").encode("utf-8")
            entry.location, entry.doc_id = "file", f"{shard}#file"
    shard = "scraped_blogs/blogs.jsonl"
    files[shard] = _jsonl(plan.shards[shard], shard, "content", None)
    shard = "eval_qa/test.jsonl"
    files[shard] = _jsonl(plan.shards[shard], shard, "passage", "qid")
    shard = "crawl_warc/CC-MAIN-20240501-00000.warc.gz"
    files[shard] = _warc(plan, plan.shards.pop("crawl_warc"), shard)  # type: ignore[arg-type]
    # A crawler that saved a bare page instead of a WARC.
    shard = "crawl_warc/CC-MAIN-20240501-00001.warc.gz"
    page = _PAGE.format(
        lang="en", title="Moved", paragraphs="<p>This page has moved.</p>", contact=""
    )
    files[shard] = _gzip(page.encode("utf-8"))
    plan.shard_problems.append((shard, "shard", "schema-mismatch"))
    return files


# --------------------------------------------------------------------------- ground truth


def _ground_truth(plan: _Plan, seed: int) -> dict[str, Any]:
    """Compute planted.json from the documents as written, and check nothing is accidental."""
    from provaudit.ledger import location_key

    docs = [
        e for entries in plan.shards.values() for e in entries if isinstance(e, _Doc) and e.location
    ]
    for doc in docs:
        length = len(_normalize(doc.text))
        if not _DOC_CHARS[0] <= length <= _DOC_CHARS[1]:
            raise RuntimeError(f"{doc.doc_id}: {length} characters, outside {_DOC_CHARS}")
    if len({d.doc_id for d in docs}) != len(docs):
        raise RuntimeError("duplicate doc_id")

    groups: dict[str, list[_Doc]] = {}
    for doc in docs:
        groups.setdefault(_sha256(doc.text), []).append(doc)
    exact = sorted(sorted(d.doc_id for d in g) for g in groups.values() if len(g) > 1)

    near = []
    by_language: dict[str, list[tuple[_Doc, frozenset[bytes], str]]] = {}
    for doc in docs:
        by_language.setdefault(doc.language, []).append((doc, doc.shingles(), _sha256(doc.text)))
    for language, items in sorted(by_language.items()):
        for i, (a, sa, ha) in enumerate(items):
            for b, sb, hb in items[i + 1 :]:
                similarity = _jaccard(sa, sb)
                if similarity >= _SIMILAR and ha != hb:
                    first, second = sorted((a, b), key=lambda d: d.doc_id)
                    near.append(
                        {
                            "a": first.doc_id,
                            "b": second.doc_id,
                            "jaccard": round(similarity, 4),
                            "language": language,
                            "sources": [first.source, second.source],
                        }
                    )
    near.sort(key=lambda p: (p["a"], p["b"]))
    planted_pairs = {tuple(sorted((a.doc_id, b.doc_id))) for a, b in plan.near_planned}
    found_pairs = {(p["a"], p["b"]) for p in near}
    if found_pairs != planted_pairs:
        raise RuntimeError(f"unplanned similarity: {sorted(found_pairs ^ planted_pairs)[:5]}")
    if not all(_NEAR[0] <= p["jaccard"] <= _NEAR[1] for p in near):
        raise RuntimeError("a planted near duplicate left the 0.85-0.95 range")

    jaccard_of = {(p["a"], p["b"]): p["jaccard"] for p in near}
    leaks = []
    for ev, train, kind in plan.eval_leaks:
        pair = tuple(sorted((ev.doc_id, train.doc_id)))
        leaks.append(
            {
                "eval": ev.doc_id,
                "train": train.doc_id,
                "kind": kind,
                "jaccard": 1.0 if kind == "verbatim" else jaccard_of[pair],
            }
        )

    ngram_leaks = _eval_ngram_leaks(plan, docs)

    quarantine = [
        {
            "source": e.shard.split("/")[0],
            "shard": e.shard,
            "location": e.location,
            "reason": e.reason,
        }
        for entries in plan.shards.values()
        for e in entries
        if isinstance(e, _Bad) and e.shard
    ]
    quarantine += [
        {"source": shard.split("/")[0], "shard": shard, "location": location, "reason": reason}
        for shard, location, reason in plan.shard_problems
    ]
    quarantine.sort(key=lambda q: (q["shard"], location_key(q["location"])))

    registry = {s["name"]: s for s in _registry()}
    pii = {
        doc.doc_id: {kind: counts.get(kind, 0) for kind in _PII_KINDS} for doc, counts in plan.pii
    }
    rates = _duplicate_rates(docs, exact, near)
    sources: dict[str, dict[str, Any]] = {}
    for name in SOURCES:
        mine = [d for d in docs if d.source == name]
        languages: dict[str, int] = {}
        for d in mine:
            languages[d.language] = languages.get(d.language, 0) + 1
        quarantined = sum(q["source"] == name for q in quarantine)
        unknown = sum(_license_of(d, registry[name]).category == "unknown" for d in mine)
        with_pii = sum(d.doc_id in pii for d in mine)
        basis = registry[name]["consent_basis"]
        if (basis == "none") != (with_pii == 0):
            raise RuntimeError(f"{name}: consent basis {basis!r} with {with_pii} PII documents")
        sources[name] = {
            "documents": len(mine),
            "quarantined": quarantined,
            # the quarantine share of what the readers read: quarantined / (documents + quarantined)
            "quarantine_share": round(quarantined / (len(mine) + quarantined), 6),
            "languages": dict(sorted(languages.items())),
            "unknown_license_documents": unknown,
            "unknown_license_share": round(unknown / len(mine), 6),
            "documents_with_pii": with_pii,
            "consent_basis": basis,
            **rates.get(name, {}),
        }
    _check_licenses(sources)
    return {
        "about": "Ground truth of the provaudit sample corpus; written by python -m provaudit.sample.",
        "seed": seed,
        "shingling": {
            "n": _NGRAM,
            "characters": sorted(_CJK),
            "words": "every other language",
            "text": "NFC, stripped, lower-cased (provaudit.minhash.shingles)",
            "eval_ngram_leaks_n": _LEAK_NGRAM,
        },
        "sources": sources,
        "documents": {
            d.doc_id: {
                "source": d.source,
                "shard": d.shard,
                "location": d.location,
                "language": d.language,
            }
            for d in sorted(docs, key=lambda d: d.doc_id)
        },
        "exact_duplicates": exact,
        "cross_source_copies": sorted(
            ({"from": a.doc_id, "to": b.doc_id} for a, b in plan.cross_copies),
            key=lambda c: c["from"],
        ),
        "near_duplicates": near,
        "eval_leaks": sorted(leaks, key=lambda leak: leak["eval"]),
        "eval_ngram_leaks": ngram_leaks,
        "pii": dict(sorted(pii.items())),
        "pii_totals": {k: sum(c[k] for c in pii.values()) for k in _PII_KINDS},
        "pii_decoys": sorted(d.doc_id for d in plan.decoys),
        "quarantine": quarantine,
        "opt_out": _opt_out_truth(plan, docs, registry),
    }


def _license_of(doc: _Doc, source: dict[str, Any]) -> Any:
    """The license the pipeline gives a document: its license_field value, else the source's."""
    from provaudit.licenses import normalize_license

    raw = doc.fields.get(source["license_field"]) if "license_field" in source else None
    return normalize_license(raw if raw is not None else source.get("license"))


# Unknown-license shares the sample promises: web_crawl a few per-document gaps, the
# unlicensed source all, every other source none.
_UNKNOWN_LICENSE_MAX = {"web_crawl": 0.04}
_UNLICENSED = "scraped_blogs"


def _check_licenses(sources: dict[str, dict[str, Any]]) -> None:
    for name, facts in sources.items():
        share = facts["unknown_license_share"]
        if name == _UNLICENSED:
            ok = share == 1
        elif name in _UNKNOWN_LICENSE_MAX:
            ok = 0 < share <= _UNKNOWN_LICENSE_MAX[name]
        else:
            ok = share == 0
        if not ok:
            raise RuntimeError(f"{name}: unknown-license share {share} is not as planted")


def _duplicate_rates(
    docs: Sequence[_Doc], exact: list[list[str]], near: list[dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Per training source, shares of its documents with a duplicate, counted from the truth.

    As the overlap stage defines them: ``exact_duplicate_rate`` an exact copy in the same
    source, ``near_duplicate_rate`` a near or exact copy in the same source,
    ``duplicate_rate_any_source`` a near or exact copy in any training source.
    """
    roles = {s["name"]: s.get("role", "train") for s in _registry()}
    source_of = {d.doc_id: d.source for d in docs if roles[d.source] != "eval"}
    exact_within: set[str] = set()
    near_within: set[str] = set()
    near_any: set[str] = set()
    for group in exact:
        members = [i for i in group if i in source_of]
        for i in members:
            others = [o for o in members if o != i]
            if others:
                near_any.add(i)
            if any(source_of[o] == source_of[i] for o in others):
                exact_within.add(i)
                near_within.add(i)
    for pair in near:
        a, b = pair["a"], pair["b"]
        if a in source_of and b in source_of:
            near_any.update((a, b))
            if source_of[a] == source_of[b]:
                near_within.update((a, b))
    out = {}
    for name in sorted(set(source_of.values())):
        n = sum(s == name for s in source_of.values())

        def share(found: set[str], name: str = name, n: int = n) -> float:
            return round(sum(source_of[i] == name for i in found) / n, 6)

        out[name] = {
            "exact_duplicate_rate": share(exact_within),
            "near_duplicate_rate": share(near_within),
            "duplicate_rate_any_source": share(near_any),
        }
    return out


def _url_of(doc: _Doc, source: dict[str, Any]) -> str | None:
    """The URL the ledger gives a document: its url_field value (a WARC record's target URI)."""
    return doc.fields.get(source.get("url_field", "url"))


def _opted_out(url: str | None, domains: Iterable[str]) -> bool:
    """The pipeline's rule: the URL's host, or any parent domain of it, is on the list."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower() if url else ""
    labels = host.split(".") if host else []
    return not {".".join(labels[i:]) for i in range(len(labels))}.isdisjoint(domains)


def _opt_out_truth(
    plan: _Plan, docs: Sequence[_Doc], registry: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The opted-out documents by the matching rule; fail unless they are the planted ones."""
    found: dict[str, list[str]] = {}
    for doc in docs:
        if _opted_out(_url_of(doc, registry[doc.source]), _OPT_OUT_DOMAINS):
            found.setdefault(doc.source, []).append(doc.doc_id)
    planted = {"web_crawl": sorted(d.doc_id for d in plan.opted_out)}
    found = {source: sorted(ids) for source, ids in sorted(found.items())}
    if found != planted or len(planted["web_crawl"]) != len(_OPT_OUT_HOSTS):
        raise RuntimeError(f"opted-out documents {found} are not the planted {planted}")
    for domain in _OPT_OUT_DOMAINS[1:]:
        if any(_opted_out(_url_of(d, registry[d.source]), [domain]) for d in docs):
            raise RuntimeError(f"{domain} should appear nowhere in the corpus")
    return {
        "file": _OPT_OUT_FILE,
        "domains": sorted(_OPT_OUT_DOMAINS),
        "opted_out_documents": found,
    }


def _opt_out_file() -> bytes:
    return (_OPT_OUT_HEADER + "".join(f"{d}\n" for d in _OPT_OUT_DOMAINS)).encode("utf-8")


# --------------------------------------------------------------------------- inspection
# Reviewers' verdicts on every training document (the inspection sample of a corpus this
# small is all of it): all safe but one crawl page, an unsafe share of 1/N in the largest
# source, under the 5% bar.

INSPECTION_DIR = "inspection"
_VERDICTS = f"{INSPECTION_DIR}/verdicts.jsonl"
_REVIEWERS = ("rev-01", "rev-02", "rev-03")
_UNSAFE_SOURCE = "web_crawl"


def _inspection(truth: dict[str, Any], seed: int) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Write inspection/verdicts.jsonl and return (files, planted facts).

    The unsafe page is drawn among crawl pages with no other planted role (no duplicate,
    near twin, leak, personal data, decoy or opt-out), so that it fails nothing else.
    """
    rng = random.Random(f"provaudit-sample-inspection:{seed}")
    roles = {s["name"]: s.get("role", "train") for s in _registry()}
    documents = truth["documents"]
    planted_roles = set(truth["pii"]) | set(truth["pii_decoys"])
    planted_roles.update(i for group in truth["exact_duplicates"] for i in group)
    planted_roles.update(p[k] for p in truth["near_duplicates"] for k in ("a", "b"))
    planted_roles.update(i for leak in truth["eval_ngram_leaks"] for i in leak["train"])
    planted_roles.update(i for ids in truth["opt_out"]["opted_out_documents"].values() for i in ids)
    candidates = sorted(
        doc_id
        for doc_id, d in documents.items()
        if d["source"] == _UNSAFE_SOURCE and doc_id not in planted_roles
    )
    unsafe = rng.choice(candidates)
    lines = []
    reviewed: dict[str, int] = {}
    for doc_id, d in documents.items():
        if roles[d["source"]] == "eval":
            continue
        reviewed[d["source"]] = reviewed.get(d["source"], 0) + 1
        lines.append(
            {
                "source": d["source"],
                "shard": d["shard"],
                "location": d["location"],
                "verdict": "unsafe" if doc_id == unsafe else "safe",
                "reviewer": rng.choice(_REVIEWERS),
            }
        )
    lines.sort(key=lambda r: (r["source"], r["shard"], r["location"]))
    data = b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in lines)
    facts = {
        "verdicts": _VERDICTS,
        "unsafe": {_UNSAFE_SOURCE: [unsafe]},
        "reviewed": dict(sorted(reviewed.items())),
    }
    return {_VERDICTS: data}, facts


def _eval_ngram_leaks(plan: _Plan, docs: Sequence[_Doc]) -> list[dict[str, Any]]:
    """Every eval item sharing a 13-gram with a training document, found by brute force.

    Training documents are those of every source whose registry role is not eval. Fail
    unless the items found are exactly the planted leaks, and each partial leak shares
    13-grams with the one document that quotes it and with no other.
    """
    roles = {s["name"]: s.get("role", "train") for s in _registry()}
    holders: dict[bytes, set[str]] = {}
    for doc in docs:
        if roles[doc.source] != "eval":
            for gram in _shingles(doc.text, doc.language in _CJK, _LEAK_NGRAM):
                holders.setdefault(gram, set()).add(doc.doc_id)
    planned = {ev.doc_id: kind for ev, _, kind in plan.eval_leaks}
    quoted = {ev.doc_id: (train, sentence) for ev, train, sentence in plan.partial_leaks}
    planned.update((doc_id, "partial") for doc_id in quoted)
    found = []
    for doc in sorted(docs, key=lambda d: d.doc_id):
        if roles[doc.source] != "eval":
            continue
        shared = _shingles(doc.text, doc.language in _CJK, _LEAK_NGRAM) & holders.keys()
        if not shared:
            continue
        if doc.doc_id not in planned:
            raise RuntimeError(
                f"{doc.doc_id} shares an unplanned {_LEAK_NGRAM}-gram with training text"
            )
        train = sorted(set().union(*(holders[g] for g in shared)))
        leak: dict[str, Any] = {
            "eval": doc.doc_id,
            "kind": planned[doc.doc_id],
            "shared_ngrams": len(shared),
            "train": train,
        }
        if doc.doc_id in quoted:
            quoter, sentence = quoted[doc.doc_id]
            if train != [quoter.doc_id]:
                raise RuntimeError(
                    f"partial leak {doc.doc_id} shares with {train}, not {quoter.doc_id}"
                )
            leak["sentence"] = sentence
            leak["jaccard"] = round(_jaccard(doc.shingles(), quoter.shingles()), 4)
        found.append(leak)
    missing = set(planned) - {leak["eval"] for leak in found}
    if missing:
        raise RuntimeError(f"planted leaks share no {_LEAK_NGRAM}-gram: {sorted(missing)}")
    return found


# --------------------------------------------------------------------------- labelling
# Labelling record sets of two sources (items are their documents), one roster and one
# guidelines index shared by both. Four batches; exactly one fails the trained-annotator
# rule (ann-05 labelled before completing training, and on the training day itself).

LABELLING_DIR = "labelling"
_LABELLED_SOURCES = ("licensed_news", "web_crawl")
_TOPICS = ("arts", "economy", "history", "nature", "science", "society", "technology")
_SAFETY = ("safe", "safe", "safe", "safe", "safe", "unsafe/violence", "unsafe/privacy")

_GUIDELINE_DOCS = {
    "topic-1.0": (
        "functional",
        "2024-03-01",
        "Topic labelling guideline 1.0",
        """\
# Topic labelling guideline 1.0

Goal: give every document one topic, so that the training mix can be balanced by topic.

## Labels
arts, economy, history, nature, science, society, technology. Pick the one topic that
most of the document is about; when two topics share the text evenly, pick the one named
first in the title or opening sentence.

## Format
One label per item, lower case, exactly as spelled above. Never leave an item unlabelled:
write to the labelling lead if no label fits, and skip the item in the tool.

## Method
Read the title and the first three paragraphs. Do not search the web for the document.

## Quality
A reviewer checks a random 10% of every annotator's labels. A batch passes QA at 90% of
checked labels accepted.
""",
    ),
    "topic-2.0": (
        "functional",
        "2024-06-24",
        "Topic labelling guideline 2.0",
        """\
# Topic labelling guideline 2.0

Changes from 1.0: worked examples for every label; documents about the history of a
science are labelled history; a second annotator labels one item in five.

## Labels
arts, economy, history, nature, science, society, technology, one per item, lower case.

## Method
Read the title and the first three paragraphs, then decide. When unsure between two
labels, choose the one whose worked example is closest and flag the item.

## Quality
A reviewer checks a random sample of at least 5% of the labels of every batch. A batch
passes QA at 90% of checked labels accepted; agreement between the two annotators of the
double-labelled items is reported as Cohen's kappa.
""",
    ),
    "safety-1.1": (
        "safety",
        "2024-06-10",
        "Content-safety labelling guideline 1.1",
        """\
# Content-safety labelling guideline 1.1

Goal: mark every document that must not be used for training as it stands.

## Labels
safe; unsafe/violence (incites or glorifies violence); unsafe/privacy (exposes a private
person's contact or identity details); unsafe/other (any other risk category of the
keyword library, with a note).

## Method
Read the whole document. When in doubt, label unsafe and say why in the note; a reviewer
decides.

## Quality
Every safety label is reviewed. A batch passes at 98% of labels accepted; rejected labels
are corrected before the batch is released.
""",
    ),
}

_ROSTER = (
    {
        "id": "ann-01",
        "name": "Li Wei",
        "trained_at": "2024-03-04",
        "training": "Labelling fundamentals v2 (functional)",
    },
    {
        "id": "ann-02",
        "name": "Maria Santos",
        "trained_at": "2024-03-04",
        "training": "Labelling fundamentals v2 (functional)",
    },
    {
        "id": "ann-03",
        "name": "Kenji Sato",
        "trained_at": "2024-06-14",
        "training": "Content-safety labelling v1",
    },
    {
        "id": "ann-04",
        "name": "Amira Haddad",
        "trained_at": "2024-06-14",
        "training": "Content-safety labelling v1",
    },
    {
        "id": "ann-05",
        "name": "Jonas Berg",
        "trained_at": "2024-05-20",
        "training": "Labelling fundamentals v2 (functional)",
    },
    {"id": "ann-06", "trained_at": None},  # joined in August, not trained yet, labels nothing
    {"id": "qa-01", "name": "Sofia Rossi", "trained_at": "2024-02-12", "training": "QA review v1"},
    {
        "id": "qa-02",
        "name": "Omar Farouk",
        "trained_at": "2024-06-14",
        "training": "QA review v1; content-safety labelling v1",
    },
)


@dataclass(frozen=True)
class _Batch:
    """How to draw one labelling batch."""

    source: str
    name: str
    guideline: str
    items: int
    annotators: tuple[str, ...]
    days: tuple[str, str]  # first and last labelling day
    time_offset: str | None  # None: labelled_at is a date; else date-times in this offset
    double: int  # items a second annotator labels too
    disagree: int  # of which the two labels differ
    reviewed: int  # labels a reviewer checks (every label when >= labels)
    rejected: int
    reviewer: str


_BATCHES = (
    _Batch(
        "licensed_news",
        "news-topic-2024-04",
        "topic-1.0",
        40,
        ("ann-01", "ann-02"),
        ("2024-04-08", "2024-04-26"),
        None,
        8,
        2,
        12,
        1,
        "qa-01",
    ),
    # ann-05 completed training on 2024-05-20: labels up to that day are untrained
    _Batch(
        "licensed_news",
        "news-topic-2024-05",
        "topic-1.0",
        30,
        ("ann-01", "ann-05"),
        ("2024-05-13", "2024-05-24"),
        None,
        6,
        1,
        6,
        0,
        "qa-01",
    ),
    _Batch(
        "web_crawl",
        "web-topic-2024-07",
        "topic-2.0",
        60,
        ("ann-01", "ann-02", "ann-05"),
        ("2024-07-01", "2024-07-19"),
        "Z",
        12,
        3,
        15,
        1,
        "qa-01",
    ),
    _Batch(
        "web_crawl",
        "web-safety-2024-08",
        "safety-1.1",
        50,
        ("ann-03", "ann-04"),
        ("2024-08-05", "2024-08-16"),
        "+08:00",
        10,
        1,
        1000,
        1,
        "qa-02",
    ),
)
_UNTRAINED_BATCH = "news-topic-2024-05"
_LABELLING_CHECKS = {  # the labelling_process suite's defaults, as REGULATIONS.md states them
    "qa_sample_share_min": 0.05,
    "qa_accuracy_min": {"functional": 0.90, "safety": 0.98},
    "safety_reviewed_share": 1.0,
}


def _day(text: str, offset: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(text) + dt.timedelta(days=offset)).isoformat()


def _days_between(first: str, last: str) -> int:
    import datetime as dt

    return (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days


def _stamp(day: str, rng: random.Random, offset: str | None) -> str:
    if offset is None:
        return day
    return (
        f"{day}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{offset}"
    )


def _draw_batch(batch: _Batch, items: Sequence[str], rng: random.Random) -> list[dict[str, Any]]:
    """Labels of one batch, in labelling order: first labels, then second labels later."""
    classes = _SAFETY if batch.guideline.startswith("safety") else _TOPICS
    span = _days_between(*batch.days)
    firsts = []
    for item in items:
        annotator = batch.annotators[rng.randrange(len(batch.annotators))]
        day = _day(batch.days[0], rng.randint(0, span - 2))  # leave room for second labels
        firsts.append(
            {"item_id": item, "annotator": annotator, "day": day, "label": rng.choice(classes)}
        )
    if batch.name == _UNTRAINED_BATCH:
        # ann-05's first labels: nine before the training date, one on it, two after
        days = [_day(batch.days[0], d) for d in (0, 0, 1, 2, 2, 3, 3, 4, 5, 7, 8, 9)]
        for first, day in zip(firsts[-len(days) :], days):
            first["annotator"], first["day"] = "ann-05", day
        for first in firsts[: -len(days)]:
            first["annotator"] = "ann-01"
    seconds = []
    doubled = rng.sample(range(len(firsts)), batch.double)
    for n, index in enumerate(sorted(doubled)):
        first = firsts[index]
        others = [a for a in batch.annotators if a != first["annotator"]]
        label = first["label"]
        if n < batch.disagree:
            label = rng.choice([c for c in classes if c != label])
        day = _day(first["day"], rng.randint(1, max(1, _days_between(first["day"], batch.days[1]))))
        seconds.append(
            {
                "item_id": first["item_id"],
                "annotator": rng.choice(others),
                "day": day,
                "label": label,
            }
        )
    labels = firsts + seconds
    for label in labels:
        label["labelled_at"] = _stamp(label.pop("day"), rng, batch.time_offset)
    reviewed = (
        set(range(len(labels)))
        if batch.reviewed >= len(labels)
        else set(rng.sample(range(len(labels)), batch.reviewed))
    )
    rejected = set(rng.sample(sorted(reviewed), batch.rejected))
    records = []
    for index, label in enumerate(labels):
        record = {
            "item_id": label["item_id"],
            "batch": batch.name,
            "annotator": label["annotator"],
            "guideline_version": batch.guideline,
            "label": label["label"],
            "labelled_at": label["labelled_at"],
        }
        if index in reviewed:
            record["reviewer"] = batch.reviewer
            record["review_verdict"] = "reject" if index in rejected else "accept"
            record["reviewed_at"] = _stamp(
                _day(label["labelled_at"][:10], 3), rng, batch.time_offset
            )
        records.append(record)
    # a labelling tool exports in time order (within a batch one offset, so strings sort)
    records.sort(key=lambda r: (r["labelled_at"], r["item_id"], r["annotator"]))
    return records


def _kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa, written out here on its own so planted.json does not come from the code it checks."""
    n = len(pairs)
    p_o = sum(a == b for a, b in pairs) / n
    labels = {x for pair in pairs for x in pair}
    p_e = sum(
        (sum(a == k for a, _ in pairs) / n) * (sum(b == k for _, b in pairs) / n) for k in labels
    )
    return None if p_e == 1 else (p_o - p_e) / (1 - p_e)


def _batch_facts(batch: _Batch, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The labelling profile row planted for a batch, counted from its records."""
    trained = {a["id"]: a["trained_at"] for a in _ROSTER}
    ok = [
        trained[r["annotator"]] is not None and trained[r["annotator"]] < r["labelled_at"][:10]
        for r in records
    ]
    reviewed = [r for r in records if "review_verdict" in r]
    accepted = sum(r["review_verdict"] == "accept" for r in reviewed)
    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_item.setdefault(r["item_id"], []).append(r)
    pairs = [(rs[0]["label"], rs[1]["label"]) for rs in by_item.values() if len(rs) > 1]
    assert all(rs[0]["annotator"] != rs[1]["annotator"] for rs in by_item.values() if len(rs) > 1)
    times = [r["labelled_at"] for r in records]
    return {
        "source": batch.source,
        "batch": batch.name,
        "kind": _GUIDELINE_DOCS[batch.guideline][0],
        "items": len(by_item),
        "labels": len(records),
        "annotators": len({r["annotator"] for r in records}),
        "guideline_versions": [batch.guideline],
        "unknown_guideline_items": 0,
        "trained_share": sum(ok) / len(records),
        "untrained_annotators": sorted(
            {r["annotator"] for r, good in zip(records, ok) if not good}
        ),
        "qa_reviewed": len(reviewed),
        "qa_accepted": accepted,
        "qa_sample_share": len(reviewed) / len(records),
        "qa_accuracy": accepted / len(reviewed),
        "double_labelled_items": len(pairs),
        "agreement": sum(a == b for a, b in pairs) / len(pairs),
        "kappa": _kappa(pairs),
        "first_labelled_at": min(times),
        "last_labelled_at": max(times),
    }


def _passes(facts: dict[str, Any]) -> dict[str, bool]:
    """The labelling_process checks of one batch, as the suite will make them."""
    accuracy_min = _LABELLING_CHECKS["qa_accuracy_min"][facts["kind"]]
    checks = {
        "guideline_known": facts["unknown_guideline_items"] == 0,
        "trained_annotators": facts["trained_share"] == 1,
        "qa_sample_share": facts["qa_sample_share"] >= _LABELLING_CHECKS["qa_sample_share_min"],
        "qa_accuracy": facts["qa_accuracy"] >= accuracy_min,
    }
    if facts["kind"] == "safety":
        checks["safety_reviewed"] = (
            facts["qa_sample_share"] >= _LABELLING_CHECKS["safety_reviewed_share"]
        )
    return checks


def _labelling(
    documents: dict[str, dict[str, Any]], seed: int
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Write the labelling record sets and return (files, planted facts).

    Fails unless exactly the planted batch fails a check, and it fails only the
    trained-annotator check.
    """
    import yaml

    rng = random.Random(f"provaudit-sample-labelling:{seed}")
    files: dict[str, bytes] = {}
    index = []
    for version, (kind, effective, title, text) in _GUIDELINE_DOCS.items():
        path = f"guidelines/{version}.md"
        data = text.encode("utf-8")
        files[f"{LABELLING_DIR}/{path}"] = data
        index.append(
            {
                "version": version,
                "kind": kind,
                "title": title,
                "path": path,
                "sha256": hashlib.sha256(data).hexdigest(),
                "effective": effective,
            }
        )
    header = "# Written by `python -m provaudit.sample OUT_DIR`; do not edit by hand.\n"
    files[f"{LABELLING_DIR}/guidelines.yaml"] = (
        header
        + yaml.safe_dump({"guidelines": index}, sort_keys=False, allow_unicode=True, width=100)
    ).encode("utf-8")
    files[f"{LABELLING_DIR}/annotators.yaml"] = (
        header
        + yaml.safe_dump(
            {"annotators": [dict(a) for a in _ROSTER]},
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )
    ).encode("utf-8")

    pools = {
        source: sorted(doc_id for doc_id, d in documents.items() if d["source"] == source)
        for source in _LABELLED_SOURCES
    }
    by_source: dict[str, list[dict[str, Any]]] = {source: [] for source in _LABELLED_SOURCES}
    batches = []
    for batch in _BATCHES:
        items = rng.sample(pools[batch.source], batch.items)
        taken = set(items)
        pools[batch.source] = [i for i in pools[batch.source] if i not in taken]
        records = _draw_batch(batch, items, rng)
        by_source[batch.source].extend(records)
        batches.append(_batch_facts(batch, records))
    for source, records in by_source.items():
        files[_labelling_records(source)] = b"".join(
            json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records
        )

    failed = {f["batch"]: [k for k, ok in _passes(f).items() if not ok] for f in batches}
    failed = {b: checks for b, checks in failed.items() if checks}
    if failed != {_UNTRAINED_BATCH: ["trained_annotators"]}:
        raise RuntimeError(f"labelling batches fail other checks than planted: {failed}")
    if not any(f["kind"] == "safety" for f in batches):
        raise RuntimeError("no safety batch")
    untrained = [
        r
        for r in by_source["licensed_news"]
        if r["batch"] == _UNTRAINED_BATCH and r["annotator"] == "ann-05"
    ]
    truth = {
        "about": "Labelling record sets of the sample (registry key labelling); batches holds "
        "the labelling profile expected from provaudit.labelling.labelling_profile.",
        "sources": {source: _registry_labelling(source) for source in _LABELLED_SOURCES},
        "checks": _LABELLING_CHECKS,
        "batches": batches,
        "fails": {"trained_annotators": [_UNTRAINED_BATCH]},
        "untrained": {
            "batch": _UNTRAINED_BATCH,
            "annotator": "ann-05",
            "trained_at": "2024-05-20",
            "labels_before_training_day": sum(r["labelled_at"] < "2024-05-20" for r in untrained),
            "labels_on_training_day": sum(r["labelled_at"] == "2024-05-20" for r in untrained),
            "labels_after_training_day": sum(r["labelled_at"] > "2024-05-20" for r in untrained),
        },
    }
    return files, truth


def _labelling_records(source: str) -> str:
    return f"{LABELLING_DIR}/records/{source}.jsonl"


def _registry_labelling(source: str) -> dict[str, str]:
    return {
        "records": _labelling_records(source),
        "annotators": f"{LABELLING_DIR}/annotators.yaml",
        "guidelines": f"{LABELLING_DIR}/guidelines.yaml",
    }


# --------------------------------------------------------------------------- registry

_REGISTRY_HEADER = """\
# provaudit sample registry: seven sources with planted facts (see planted.json).
# Written by `python -m provaudit.sample OUT_DIR`; do not edit by hand.
# Paths are globs relative to this file's folder.
"""


def _registry() -> list[dict[str, Any]]:
    return [
        {
            "name": "web_crawl",
            "description": "Multilingual web pages from our own crawler, with each page's declared license.",
            "paths": ["web_crawl/*.jsonl"],
            "format": "jsonl",
            "text_field": "text",
            "id_field": "id",
            "url_field": "url",
            "license_field": "license",
            "acquisition": "self-collected",
            "evidence": "crawl record CR-2024-05 (robots.txt honoured; log in crawl-records/2024-05.txt)",
            "consent_basis": "publicly-available",
            "collected": "2023-01-01/2024-06-30",
            "languages_expected": ["en", "zh-cn", "fr", "de", "es", "ru", "ja", "ar"],
            "max_doc_chars": 20000,
            "labelling": _registry_labelling("web_crawl"),
        },
        {
            "name": "licensed_news",
            "description": "Newswire articles licensed from North Sea News under a syndication contract.",
            "paths": ["licensed_news/*.jsonl.gz", "licensed_news/*.jsonl.zst"],
            "format": "jsonl",
            "text_field": "body",
            "id_field": "article_id",
            "url_field": "link",
            "license": "proprietary",
            "acquisition": "licensed",
            "evidence": "contract NSN-2023-117, signed 2023-11-20 (legal/contracts/nsn-2023-117.pdf)",
            "consent_basis": "contract",
            "collected": "2024-01-01/2024-03-31",
            "languages_expected": ["en", "zh-cn", "de"],
            "labelling": _registry_labelling("licensed_news"),
        },
        {
            "name": "open_books",
            "description": "Chapters of openly licensed books, one row per chapter.",
            "paths": ["open_books/*.parquet"],
            "text_field": "content",
            "id_field": "book_id",
            "license": "CC BY-SA 4.0",
            "acquisition": "open-license",
            "evidence": "https://creativecommons.org/licenses/by-sa/4.0/",
            "consent_basis": "none",
            "collected": "2024-02-15",
            "languages_expected": ["en", "fr", "es", "ru"],
        },
        {
            "name": "forum_dump",
            "description": "Posts from our community forum, one text file per post.",
            "paths": ["forum_dump/*.txt"],
            "license": "cc-by-4.0",
            "acquisition": "user-data",
            "evidence": "forum terms of service v3, clause 7: posts licensed CC BY 4.0 and usable for training",
            "consent_basis": "consent",
            "collected": "2022-06-01/2024-04-30",
            "languages_expected": ["en", "zh-cn", "ja"],
        },
        {
            "name": "crawl_warc",
            "description": "WARC capture of an encyclopedia mirror.",
            "paths": ["crawl_warc/*.warc.gz"],
            "license": "CC BY-SA 3.0",
            "acquisition": "self-collected",
            "evidence": "crawl record CR-2024-05-01 (robots.txt honoured)",
            "consent_basis": "publicly-available",
            "collected": "2024-05-01",
            "languages_expected": ["en", "fr", "de", "es"],
        },
        {
            "name": "scraped_blogs",
            "description": "Blog posts scraped by a contractor; no license was recorded.",
            "paths": ["scraped_blogs/*.jsonl"],
            "format": "jsonl",
            "text_field": "content",
            "url_field": "permalink",
            "license": "see website",
            "acquisition": "self-collected",
            "evidence": "scraper run log SB-2024-03 (contractor delivery of 2024-03-11)",
            "consent_basis": "publicly-available",
            "collected": "2023-01-01/2023-12-31",
            "languages_expected": ["en", "es", "ar", "zh-cn"],
        },
        {
            "name": "eval_qa",
            "description": "Held-out reading-comprehension benchmark: passages with questions.",
            "paths": ["eval_qa/*.jsonl"],
            "format": "jsonl",
            "text_field": "passage",
            "id_field": "qid",
            "license": "CC-BY-4.0",
            "acquisition": "open-license",
            "evidence": "https://creativecommons.org/licenses/by/4.0/",
            "consent_basis": "none",
            "collected": "2024-04-01",
            "languages_expected": ["en", "zh-cn"],
            "role": "eval",
        },
    ]


def _registry_yaml() -> bytes:
    import yaml

    body = yaml.safe_dump(
        {"sources": _registry()},
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return (_REGISTRY_HEADER + body).encode("utf-8")


# --------------------------------------------------------------------------- entry points


def write_sample_corpus(out_dir: Path, seed: int = SEED) -> list[Path]:
    """Write the sample corpus, registry.yaml and planted.json under out_dir; return the paths."""
    out_dir = Path(out_dir)
    plan = _plan_corpus(seed)
    files = _write_shards(plan, out_dir)
    truth = _ground_truth(plan, seed)
    labelling_files, truth["labelling"] = _labelling(truth["documents"], seed)
    files.update(labelling_files)
    inspection_files, truth["inspection"] = _inspection(truth, seed)
    files.update(inspection_files)
    files[_OPT_OUT_FILE] = _opt_out_file()
    files["registry.yaml"] = _registry_yaml()
    files["planted.json"] = (
        json.dumps(truth, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    ).encode()
    written = []
    for relative, data in sorted(files.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    keep = set(written)
    # files an earlier version left behind would be read as shards (or as guidelines)
    for name in (*SOURCES, LABELLING_DIR, INSPECTION_DIR):
        folder = out_dir / name
        for stale in sorted(p for p in folder.rglob("*") if p.is_file() and p not in keep):
            stale.unlink()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m provaudit.sample OUT_DIR [--seed N]."""
    parser = argparse.ArgumentParser(
        prog="python -m provaudit.sample",
        description="Write the bundled sample corpus (seven sources with planted duplicates, "
        "leaks, personal data and bad records), its registry.yaml and planted.json.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    paths = write_sample_corpus(args.out_dir, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {size:,} bytes, under {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
