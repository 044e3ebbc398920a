"""Reference data for the synthetic Taipei population: districts, streets, land sections,
surnames, given-name characters, welfare programmes, zoning and building uses.

Figures are rounded from public statistics (district populations and areas of 2023, surname
frequencies of the 2018 national name survey, the city's 2024 welfare amounts); they only need
to look right, not to be exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Data are generated "as of" this day: ages, ongoing cases and inspection dates are relative to it.
REFERENCE_DATE = date(2024, 11, 30)
CITY = "臺北市"


@dataclass(frozen=True)
class District:
    """One of Taipei's twelve districts."""

    name: str
    population: int  # residents, rounded
    area_km2: float
    land_value: int  # typical announced land value of a residential parcel, NTD per m²
    urban_core: bool  # zoning profile: dense core vs. hills and river plains
    streets: tuple[str, ...]
    sections: tuple[str, ...]  # 地段; each is split into 小段 一…三


# fmt: off
DISTRICTS: tuple[District, ...] = (
    District("中正區", 150_000, 7.6, 620_000, True,
             ("重慶南路一段", "忠孝西路一段", "羅斯福路一段", "南昌路二段", "杭州南路一段",
              "延平南路", "愛國東路", "汀州路三段", "金山南路一段", "牯嶺街"),
             ("南海段", "河堤段", "臨沂段", "公園段", "永昌段")),
    District("大同區", 120_000, 5.7, 420_000, True,
             ("迪化街一段", "民生西路", "承德路二段", "延平北路二段", "重慶北路二段",
              "南京西路", "民權西路", "長安西路", "涼州街", "歸綏街"),
             ("大同段", "延平段", "建成段", "玉泉段")),
    District("中山區", 215_000, 13.7, 560_000, True,
             ("中山北路二段", "南京東路二段", "民生東路二段", "松江路", "林森北路",
              "建國北路二段", "長安東路一段", "北安路", "農安街", "錦州街"),
             ("中山段", "長春段", "榮星段", "吉林段", "新生段")),
    District("松山區", 195_000, 9.3, 600_000, True,
             ("南京東路四段", "八德路四段", "民生東路四段", "光復北路", "敦化北路",
              "健康路", "延壽街", "塔悠路", "饒河街", "三民路"),
             ("三民段", "西松段", "敦化段", "民有段", "東社段")),
    District("大安區", 290_000, 11.4, 720_000, True,
             ("復興南路一段", "忠孝東路四段", "敦化南路一段", "和平東路二段", "信義路四段",
              "羅斯福路三段", "新生南路二段", "仁愛路四段", "安和路二段", "師大路"),
             ("復興段", "仁愛段", "大安段", "懷生段", "學府段", "龍泉段", "通化段")),
    District("萬華區", 175_000, 8.9, 360_000, True,
             ("西園路二段", "康定路", "艋舺大道", "和平西路三段", "西藏路",
              "萬大路", "昆明街", "環河南路二段", "貴陽街二段", "華西街"),
             ("萬華段", "龍山段", "華中段", "青年段", "西門段")),
    District("信義區", 205_000, 11.2, 650_000, True,
             ("信義路五段", "松仁路", "基隆路一段", "忠孝東路五段", "松山路",
              "吳興街", "莊敬路", "永吉路", "虎林街", "松德路"),
             ("信義段", "三興段", "永春段", "福德段", "興雅段")),
    District("士林區", 265_000, 62.4, 310_000, False,
             ("中山北路六段", "文林路", "天母東路", "中正路", "承德路四段",
              "士東路", "至誠路一段", "福林路", "延平北路五段", "忠誠路二段"),
             ("士林段", "芝山段", "天母段", "社子段", "蘭雅段")),
    District("北投區", 240_000, 56.8, 260_000, False,
             ("石牌路二段", "中和街", "光明路", "大業路", "承德路七段",
              "裕民六路", "公館路", "中央北路二段", "大度路三段", "溫泉路"),
             ("北投段", "石牌段", "關渡段", "稻香段", "振興段")),
    District("內湖區", 275_000, 31.6, 320_000, False,
             ("內湖路一段", "成功路四段", "瑞光路", "民權東路六段", "康寧路三段",
              "金湖路", "港墘路", "新湖一路", "東湖路", "星雲街"),
             ("內湖段", "西湖段", "東湖段", "碧山段", "文德段")),
    District("南港區", 115_000, 21.8, 330_000, False,
             ("南港路一段", "忠孝東路七段", "經貿二路", "研究院路二段", "昆陽街",
              "興華路", "三重路", "園區街", "重陽路", "東新街"),
             ("南港段", "玉成段", "中研段", "舊莊段")),
    District("文山區", 260_000, 31.5, 270_000, False,
             ("木柵路一段", "興隆路二段", "羅斯福路五段", "景美街", "萬芳路",
              "秀明路二段", "指南路二段", "景興路", "興隆路四段", "木新路三段"),
             ("景美段", "木柵段", "萬芳段", "興隆段", "政大段")),
)
# fmt: on
DISTRICT_NAMES: tuple[str, ...] = tuple(d.name for d in DISTRICTS)
SUBSECTIONS: tuple[str, ...] = ("一小段", "二小段", "三小段")

# Share of the population, in percent (national survey, rounded); normalised when drawn.
# fmt: off
SURNAMES: dict[str, float] = {
    "陳": 11.1, "林": 8.3, "黃": 6.0, "張": 5.3, "李": 5.1, "王": 4.1, "吳": 4.0, "劉": 3.2,
    "蔡": 2.9, "楊": 2.6, "許": 2.3, "鄭": 1.9, "謝": 1.8, "洪": 1.6, "郭": 1.6, "邱": 1.6,
    "曾": 1.6, "廖": 1.5, "賴": 1.4, "徐": 1.3, "周": 1.2, "葉": 1.2, "蘇": 1.1, "莊": 1.0,
    "呂": 0.99, "江": 0.97, "何": 0.97, "蕭": 0.92, "羅": 0.91, "高": 0.88, "潘": 0.69,
    "簡": 0.67, "朱": 0.66, "鍾": 0.65, "彭": 0.60, "游": 0.59, "詹": 0.57, "胡": 0.55,
    "施": 0.54, "沈": 0.52, "余": 0.50, "趙": 0.46, "盧": 0.45, "梁": 0.45, "顏": 0.43,
    "柯": 0.42, "孫": 0.41, "魏": 0.40, "翁": 0.40, "戴": 0.39, "范": 0.37, "宋": 0.36,
    "方": 0.35, "鄧": 0.34, "杜": 0.33, "傅": 0.32, "侯": 0.31, "曹": 0.30, "薛": 0.29,
    "丁": 0.28, "卓": 0.27, "馬": 0.26, "阮": 0.25, "董": 0.24, "唐": 0.23, "温": 0.22,
    "藍": 0.21, "蔣": 0.20, "石": 0.20, "古": 0.19, "紀": 0.18, "姚": 0.18, "連": 0.17,
    "歐陽": 0.02, "張簡": 0.02,
}

# fmt: on
GIVEN_NAME_CHARS_MALE = (
    "志明俊偉建宏家豪文傑冠宇承翰柏哲信彥智國正雄仁輝德民勝忠義峰嘉銘耀祥凱翔育誠"
    "子軒宥廷品睿宸恩浩瑋昱鈞政達"
)
GIVEN_NAME_CHARS_FEMALE = (
    "淑美怡婷雅慧芳玲靜佩欣詩涵宜萱君如惠琪筑珮秀麗華貞真瑜蓉娟玉鳳芬瑩潔心妤婕晴薇琳蓁穎昀庭安"
)
SINGLE_CHARACTER_GIVEN_NAME_SHARE = 0.08

# Household sizes 1…6 (Taipei household register; the average is about 2.5).
HOUSEHOLD_SIZE_WEIGHTS = (0.30, 0.25, 0.19, 0.15, 0.07, 0.04)


@dataclass(frozen=True)
class WelfareProgram:
    """A social-welfare programme and the monthly amounts it pays (NTD)."""

    name: str
    weight: float  # share of cases
    min_age: int  # eligibility on the reference date
    max_age: int  # exclusive
    amounts: tuple[int, ...]
    one_off: bool = False  # paid once: the case ends the day it starts


WELFARE_PROGRAMS: tuple[WelfareProgram, ...] = (
    WelfareProgram("低收入戶生活扶助", 0.30, 0, 200, (2_800, 7_700, 11_600, 15_300, 19_649)),
    WelfareProgram("中低收入老人生活津貼", 0.22, 65, 200, (4_164, 8_329)),
    WelfareProgram("身心障礙者生活補助", 0.24, 0, 200, (4_049, 5_065, 9_485)),
    WelfareProgram("兒童及少年生活扶助", 0.10, 0, 18, (2_942, 3_300, 5_000)),
    WelfareProgram("急難救助", 0.08, 18, 200, (10_000, 20_000, 30_000), one_off=True),
    WelfareProgram("身心障礙者房屋租金補貼", 0.06, 18, 200, (3_000, 5_000, 8_000)),
)
WELFARE_RECIPIENT_SHARE = 0.065  # of all persons
SECOND_PROGRAM_SHARE = 0.15  # of recipients


@dataclass(frozen=True)
class Zoning:
    """A zoning class: how common it is, how big and how valuable its parcels are."""

    name: str
    weight_core: float
    weight_outer: float
    median_area_m2: float
    value_factor: float  # times the district's residential land value
    uses: tuple[str, ...]  # building uses found on it
    permit_rate: float  # share of parcels with a building permit


ZONINGS: tuple[Zoning, ...] = (
    Zoning("住宅區", 0.55, 0.45, 180, 1.0, ("集合住宅", "集合住宅", "透天住宅", "店鋪住宅"), 0.8),
    Zoning("商業區", 0.25, 0.08, 250, 1.7, ("辦公大樓", "店鋪住宅", "商場", "旅館"), 0.85),
    Zoning("工業區", 0.02, 0.08, 800, 0.7, ("廠房", "倉庫", "辦公大樓"), 0.7),
    Zoning("農業區", 0.00, 0.05, 1_500, 0.06, ("農舍",), 0.2),
    Zoning("保護區", 0.01, 0.20, 3_000, 0.04, ("農舍", "透天住宅"), 0.15),
    Zoning("公共設施用地", 0.14, 0.12, 600, 0.5, ("學校", "醫院", "機關"), 0.35),
    Zoning("特定專用區", 0.03, 0.02, 1_000, 1.2, ("辦公大樓", "旅館"), 0.6),
)

# Building use → (min floors, max floors).
# fmt: off
USE_FLOORS: dict[str, tuple[int, int]] = {
    "集合住宅": (5, 20), "透天住宅": (2, 5), "店鋪住宅": (3, 12), "辦公大樓": (8, 35),
    "商場": (3, 12), "旅館": (6, 25), "廠房": (1, 6), "倉庫": (1, 3), "農舍": (1, 3),
    "學校": (3, 8), "醫院": (5, 15), "機關": (3, 12),
}
# fmt: on

# Fire inspection results and the mean number of violations found beyond the first.
INSPECTION_RESULTS: dict[str, tuple[float, float]] = {
    "合格": (0.72, -1.0),  # never a violation
    "限期改善": (0.20, 1.0),
    "不合格": (0.08, 2.5),
}
