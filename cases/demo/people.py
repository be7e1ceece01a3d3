"""Demo people and payment rails: traders with KYC names in their own script, and the
payment methods, banks and currencies they use. Pure data, no database access."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Person:
    native: str  # the KYC name as the exchange holds it
    latin: str  # its Latin spelling, for fonts and systems that need one
    display: str  # the P2P nickname
    country: str
    language: str
    merchant: bool = False  # a professional seller with many orders


def _people(
    rows: list[tuple[str, str, str]], country: str, language: str, merchants: int
) -> list[Person]:
    return [
        Person(native, latin, display, country, language, merchant=i < merchants)
        for i, (native, latin, display) in enumerate(rows)
    ]


CHINESE = _people(
    [
        ("王芳", "WANG FANG", "诚信币商"),
        ("张伟", "ZHANG WEI", "快速出U"),
        ("刘洋", "LIU YANG", "老王OTC"),
        ("陈静", "CHEN JING", "稳稳换汇"),
        ("杨磊", "YANG LEI", "24h秒放"),
        ("赵敏", "ZHAO MIN", "金牛商行"),
        ("黄强", "HUANG QIANG", "阿杰数字"),
        ("周杰", "ZHOU JIE", "小鱼换U"),
        ("吴婷", "WU TING", "靠谱商家"),
        ("徐鹏", "XU PENG", "星辰OTC"),
        ("孙丽", "SUN LI", "晨光币行"),
        ("马超", "MA CHAO", "顺风出币"),
        ("朱琳", "ZHU LIN", "大白兑换"),
        ("胡军", "HU JUN", "青山币商"),
        ("郭燕", "GUO YAN", "安心交易"),
        ("何涛", "HE TAO", "海纳百川"),
        ("高翔", "GAO XIANG", "云端小高"),
        ("林晓", "LIN XIAO", "飞鸟换汇"),
        ("罗敏", "LUO MIN", "木子罗"),
        ("郑浩", "ZHENG HAO", "一诺千金"),
        ("梁静", "LIANG JING", "日进斗金"),
        ("宋佳", "SONG JIA", "夜猫子U"),
    ],
    "CN",
    "zh",
    merchants=6,
)

RUSSIAN = _people(
    [
        ("Иван Петров", "IVAN PETROV", "КриптоЛис"),
        ("Алексей Морозов", "ALEKSEI MOROZOV", "Быстрый_USDT"),
        ("Екатерина Волкова", "EKATERINA VOLKOVA", "ТихийОбмен"),
        ("Сергей Новиков", "SERGEI NOVIKOV", "Sever_P2P"),
        ("Анна Кузнецова", "ANNA KUZNETSOVA", "Ural_Trader"),
        ("Дмитрий Козлов", "DMITRII KOZLOV", "dima_k"),
        ("Максим Попов", "MAKSIM POPOV", "Volga_Crypto"),
        ("Наталья Соколова", "NATALIA SOKOLOVA", "Наташа_С"),
        ("Артём Лебедев", "ARTEM LEBEDEV", "Медведь_OTC"),
        ("Мария Павлова", "MARIIA PAVLOVA", "masha.p"),
        ("Никита Орлов", "NIKITA ORLOV", "Сибирь_USDT"),
        ("Юлия Фёдорова", "IULIIA FEDOROVA", "yulia_f"),
        ("Павел Егоров", "PAVEL EGOROV", "Невский_P2P"),
        ("Андрей Васильев", "ANDREI VASILEV", "andrey_v"),
        ("Татьяна Зайцева", "TATIANA ZAITSEVA", "Кедр_OTC"),
        ("Кирилл Белов", "KIRILL BELOV", "kirill_b"),
        ("Елена Миронова", "ELENA MIRONOVA", "Ладога_Трейд"),
        ("Роман Гусев", "ROMAN GUSEV", "roma_g"),
    ],
    "RU",
    "ru",
    merchants=5,
)

INTERNATIONAL = [
    Person("Lukas Becker", "LUKAS BECKER", "BerlinBits", "DE", "de", merchant=True),
    Person("Sophie Martin", "SOPHIE MARTIN", "ParisCoin", "FR", "fr", merchant=True),
    Person("James Walker", "JAMES WALKER", "ThamesTrade", "GB", "en", merchant=True),
    Person("Michael Brown", "MICHAEL BROWN", "GoldenGateOTC", "US", "en", merchant=True),
    Person("João Pereira", "JOAO PEREIRA", "CariocaCoin", "BR", "pt", merchant=True),
    Person("Chinedu Okafor", "CHINEDU OKAFOR", "NaijaCrypto", "NG", "en", merchant=True),
    Person("Anna Schmidt", "ANNA SCHMIDT", "anna_s", "DE", "de"),
    Person("Julien Moreau", "JULIEN MOREAU", "julienm", "FR", "fr"),
    Person("Carlos García", "CARLOS GARCIA", "IberiaTrade", "ES", "es"),
    Person("Lucía Fernández", "LUCIA FERNANDEZ", "lucia_fz", "ES", "es"),
    Person("Giulia Rossi", "GIULIA ROSSI", "RomaP2P", "IT", "it"),
    Person("Daan de Vries", "DAAN DE VRIES", "DutchDesk", "NL", "nl"),
    Person("Emily Clarke", "EMILY CLARKE", "em_clarke", "GB", "en"),
    Person("Oliver Hughes", "OLIVER HUGHES", "olly_h", "GB", "en"),
    Person("Jessica Miller", "JESSICA MILLER", "jess.m", "US", "en"),
    Person("Daniel Johnson", "DANIEL JOHNSON", "BrooklynBTC", "US", "en"),
    Person("Ana Souza", "ANA SOUZA", "SambaSwap", "BR", "pt"),
    Person("Lucas Oliveira", "LUCAS OLIVEIRA", "lucas_oli", "BR", "pt"),
    Person("Mariana Costa", "MARIANA COSTA", "mari_costa", "BR", "pt"),
    Person("Fatima Bello", "FATIMA BELLO", "LagosP2P", "NG", "en"),
    Person("Jan Kowalski", "JAN KOWALSKI", "VistulaSwap", "PL", "pl"),
    Person("Mehmet Yılmaz", "MEHMET YILMAZ", "BosphorusOTC", "TR", "tr"),
]

# Three accounts run by one person (they share a device; two share an IP as well). They
# recycle one payment screenshot across orders. Not in the general pool, so the planted
# pattern stays exactly what the risk tests expect.
RING = [
    Person("Marco Bianchi", "MARCO BIANCHI", "QuickEuro_7", "IT", "it"),
    Person("Stefan Wagner", "STEFAN WAGNER", "swagner_trade", "AT", "de"),
    Person("Pieter Jansen", "PIETER JANSEN", "pj_crypto", "NL", "nl"),
]

POOLS = {"zh": CHINESE, "ru": RUSSIAN, "en": INTERNATIONAL}

# People who pay for someone else (third-party payments), by story language.
THIRD_PARTIES = {
    "zh": [
        ("李娜", "LI NA"),
        ("刘芳芳", "LIU FANGFANG"),
        ("陈晓东", "CHEN XIAODONG"),
        ("王秀英", "WANG XIUYING"),
    ],
    "ru": [
        ("Ольга Смирнова", "OLGA SMIRNOVA"),
        ("Виктор Гончаров", "VIKTOR GONCHAROV"),
        ("Людмила Орехова", "LIUDMILA OREKHOVA"),
        ("Игорь Захаров", "IGOR ZAKHAROV"),
    ],
    "en": [
        ("Peter Novak", "PETER NOVAK"),
        ("Sarah O'Connor", "SARAH O'CONNOR"),
        ("Ahmed Hassan", "AHMED HASSAN"),
        ("Laura Klein", "LAURA KLEIN"),
    ],
}
COMPANIES = {
    "zh": [("深圳市鑫达贸易有限公司", "SHENZHEN XINDA TRADING CO LTD")],
    "ru": [("ООО «Вектор Плюс»", "OOO VEKTOR PLUS")],
    "en": [
        ("NORDIC TRADING GMBH", "NORDIC TRADING GMBH"),
        ("BLUEWAVE LOGISTICS LTD", "BLUEWAVE LOGISTICS LTD"),
        ("SOLARIS IMPORT S.L.", "SOLARIS IMPORT S.L."),
    ],
}

EMAIL_DOMAINS = {
    "zh": ["qq.com", "163.com", "126.com", "foxmail.com"],
    "ru": ["mail.ru", "yandex.ru", "gmail.com", "bk.ru"],
    "en": ["gmail.com", "outlook.com", "gmx.de", "proton.me", "yahoo.com", "uol.com.br"],
}

# Local time zones of the countries, for voucher timestamps.
TIME_ZONES = {
    "CN": "Asia/Shanghai",
    "RU": "Europe/Moscow",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "US": "America/New_York",
    "BR": "America/Sao_Paulo",
    "NG": "Africa/Lagos",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "TR": "Europe/Istanbul",
    "AT": "Europe/Vienna",
}


# --- payment rails ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bank:
    native: str
    latin: str
    color: tuple[int, int, int]


@dataclass(frozen=True)
class Rail:
    """A payment method as the order names it, and the banks/apps that carry it."""

    method: str  # Order.payment_method
    currency: str
    names: dict[str, str]  # how the chat calls it, by language
    banks: tuple[Bank, ...]
    account: str  # how a payee account looks: phone, email, card, iban, pix, account


ALIPAY = Bank("支付宝", "Alipay", (22, 119, 255))
WECHAT = Bank("微信支付", "WeChat Pay", (7, 193, 96))
ICBC = Bank("中国工商银行", "ICBC", (199, 0, 11))
CMB = Bank("招商银行", "China Merchants Bank", (214, 0, 28))
CCB = Bank("中国建设银行", "China Construction Bank", (0, 62, 140))
TBANK = Bank("Т-Банк", "T-Bank", (255, 221, 45))
SBER = Bank("СберБанк", "Sberbank", (33, 160, 56))
ALFA = Bank("Альфа-Банк", "Alfa-Bank", (239, 49, 36))
VTB = Bank("ВТБ", "VTB", (0, 40, 130))
WISE = Bank("Wise", "Wise", (159, 232, 112))
REVOLUT = Bank("Revolut", "Revolut", (25, 28, 31))
N26 = Bank("N26", "N26", (54, 161, 139))
ING = Bank("ING", "ING", (255, 98, 0))
DEUTSCHE = Bank("Deutsche Bank", "Deutsche Bank", (0, 24, 168))
BNP = Bank("BNP Paribas", "BNP Paribas", (0, 145, 90))
SANTANDER = Bank("Santander", "Santander", (236, 0, 0))
MONZO = Bank("Monzo", "Monzo", (20, 35, 60))
BARCLAYS = Bank("Barclays", "Barclays", (0, 174, 239))
CHASE = Bank("Chase", "Chase", (17, 122, 202))
NUBANK = Bank("Nubank", "Nubank", (130, 10, 209))
ITAU = Bank("Itaú", "Itau", (236, 112, 0))
BB = Bank("Banco do Brasil", "Banco do Brasil", (252, 228, 0))

RAILS: dict[str, list[tuple[Rail, int]]] = {
    # currency: [(rail, weight)]
    "CNY": [
        (Rail("Alipay", "CNY", {"zh": "支付宝", "en": "Alipay"}, (ALIPAY,), "phone"), 45),
        (
            Rail("WeChat Pay", "CNY", {"zh": "微信支付", "en": "WeChat Pay"}, (WECHAT,), "wechat"),
            30,
        ),
        (
            Rail(
                "Bank transfer",
                "CNY",
                {"zh": "银行转账", "en": "bank transfer"},
                (ICBC, CMB, CCB),
                "card",
            ),
            25,
        ),
    ],
    "RUB": [
        (Rail("Tinkoff", "RUB", {"ru": "Т-Банк", "en": "T-Bank"}, (TBANK,), "card"), 40),
        (Rail("Sberbank", "RUB", {"ru": "Сбер", "en": "Sberbank"}, (SBER,), "card"), 40),
        (Rail("SBP", "RUB", {"ru": "СБП", "en": "SBP"}, (ALFA, VTB, TBANK, SBER), "phone"), 20),
    ],
    "EUR": [
        (Rail("SEPA", "EUR", {"en": "SEPA"}, (DEUTSCHE, ING, N26, BNP, SANTANDER), "iban"), 40),
        (Rail("Wise", "EUR", {"en": "Wise"}, (WISE,), "iban"), 30),
        (Rail("Revolut", "EUR", {"en": "Revolut"}, (REVOLUT,), "revtag"), 30),
    ],
    "GBP": [
        (
            Rail("Bank transfer", "GBP", {"en": "Faster Payments"}, (MONZO, BARCLAYS), "sortcode"),
            50,
        ),
        (Rail("Revolut", "GBP", {"en": "Revolut"}, (REVOLUT,), "revtag"), 25),
        (Rail("Wise", "GBP", {"en": "Wise"}, (WISE,), "sortcode"), 25),
    ],
    "USD": [
        (Rail("Wise", "USD", {"en": "Wise"}, (WISE,), "account"), 50),
        (Rail("Bank transfer", "USD", {"en": "wire transfer"}, (CHASE,), "account"), 30),
        (Rail("Revolut", "USD", {"en": "Revolut"}, (REVOLUT,), "revtag"), 20),
    ],
    "BRL": [
        (Rail("PIX", "BRL", {"en": "PIX", "pt": "Pix"}, (NUBANK, ITAU, BB), "pix"), 100),
    ],
}

COUNTRY_CURRENCY = {
    "CN": "CNY",
    "RU": "RUB",
    "DE": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "NL": "EUR",
    "PL": "EUR",
    "AT": "EUR",
    "TR": "EUR",
    "GB": "GBP",
    "US": "USD",
    "NG": "USD",
    "BR": "BRL",
}

# Price of one USDT in each fiat currency (low, high), and of BTC/ETH in USDT.
USDT_PRICE = {
    "CNY": (Decimal("7.16"), Decimal("7.32")),
    "RUB": (Decimal("88.5"), Decimal("97.8")),
    "EUR": (Decimal("0.905"), Decimal("0.938")),
    "GBP": (Decimal("0.776"), Decimal("0.801")),
    "USD": (Decimal("0.998"), Decimal("1.012")),
    "BRL": (Decimal("5.52"), Decimal("5.86")),
}
ASSET_IN_USDT = {"USDT": Decimal(1), "BTC": Decimal(67250), "ETH": Decimal(3310)}
ASSET_DECIMALS = {"USDT": 2, "BTC": 6, "ETH": 5}


def format_money(amount: Decimal, currency: str) -> str:
    """How the parties' apps write an amount."""
    plain = f"{amount:,.2f}"
    if currency == "CNY":
        return f"¥{plain}"
    if currency == "RUB":
        return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " ₽"
    if currency == "EUR":
        return f"€{plain}"
    if currency == "GBP":
        return f"£{plain}"
    if currency == "USD":
        return f"${plain}"
    if currency == "BRL":
        return "R$ " + plain.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{plain} {currency}"


# Name parts for one-off accounts: the fresh accounts behind frauds, chargebacks and
# takeovers. They trade once or twice and are restricted or frozen; regular traders keep
# trading, so the demo's frozen accounts are not the merchants the rest of it relies on.
ONE_OFF_NAMES = {
    "CN": (
        [
            ("王", "WANG"),
            ("李", "LI"),
            ("张", "ZHANG"),
            ("刘", "LIU"),
            ("陈", "CHEN"),
            ("杨", "YANG"),
            ("赵", "ZHAO"),
            ("吴", "WU"),
            ("孙", "SUN"),
            ("周", "ZHOU"),
        ],
        [
            ("子豪", "ZIHAO"),
            ("欣怡", "XINYI"),
            ("浩然", "HAORAN"),
            ("梓涵", "ZIHAN"),
            ("宇航", "YUHANG"),
            ("一鸣", "YIMING"),
            ("佳琪", "JIAQI"),
            ("俊杰", "JUNJIE"),
            ("晓明", "XIAOMING"),
            ("嘉欣", "JIAXIN"),
        ],
    ),
    "RU": (
        [
            ("Климов", "KLIMOV"),
            ("Шевцов", "SHEVTSOV"),
            ("Ларин", "LARIN"),
            ("Фомин", "FOMIN"),
            ("Жуков", "ZHUKOV"),
            ("Голубев", "GOLUBEV"),
            ("Быков", "BYKOV"),
            ("Титов", "TITOV"),
        ],
        [
            ("Артур", "ARTUR"),
            ("Денис", "DENIS"),
            ("Руслан", "RUSLAN"),
            ("Игорь", "IGOR"),
            ("Олег", "OLEG"),
            ("Вадим", "VADIM"),
            ("Тимур", "TIMUR"),
            ("Глеб", "GLEB"),
        ],
    ),
    "EUR": (
        [
            ("Keller", "KELLER"),
            ("Dubois", "DUBOIS"),
            ("Romero", "ROMERO"),
            ("Conti", "CONTI"),
            ("Visser", "VISSER"),
            ("Huber", "HUBER"),
            ("Lambert", "LAMBERT"),
            ("Vogel", "VOGEL"),
        ],
        [
            ("Max", "MAX"),
            ("Paul", "PAUL"),
            ("Léa", "LEA"),
            ("Marco", "MARCO"),
            ("Sara", "SARA"),
            ("Tomás", "TOMAS"),
            ("Nina", "NINA"),
            ("Jonas", "JONAS"),
        ],
    ),
    "GBP": (
        [("Evans", "EVANS"), ("Turner", "TURNER"), ("Baker", "BAKER"), ("Wright", "WRIGHT")],
        [("Jack", "JACK"), ("Chloe", "CHLOE"), ("Harry", "HARRY"), ("Amelia", "AMELIA")],
    ),
    "USD": (
        [("Reed", "REED"), ("Coleman", "COLEMAN"), ("Hayes", "HAYES"), ("Foster", "FOSTER")],
        [("Tyler", "TYLER"), ("Ashley", "ASHLEY"), ("Kevin", "KEVIN"), ("Marcus", "MARCUS")],
    ),
    "BRL": (
        [
            ("Almeida", "ALMEIDA"),
            ("Ribeiro", "RIBEIRO"),
            ("Carvalho", "CARVALHO"),
            ("Gomes", "GOMES"),
            ("Rocha", "ROCHA"),
        ],
        [
            ("Rafael", "RAFAEL"),
            ("Bruna", "BRUNA"),
            ("Thiago", "THIAGO"),
            ("Camila", "CAMILA"),
            ("Diego", "DIEGO"),
        ],
    ),
}
ONE_OFF_COUNTRIES = {
    "CNY": ("CN", "zh"),
    "RUB": ("RU", "ru"),
    "GBP": ("GB", "en"),
    "USD": ("US", "en"),
    "BRL": ("BR", "pt"),
}
EUR_COUNTRIES = (("DE", "de"), ("FR", "fr"), ("ES", "es"), ("IT", "it"), ("NL", "nl"))


def one_off_person(rng, currency: str) -> Person:
    """A made-up fresh account paying or selling in `currency`."""
    if currency == "EUR":
        country, language = rng.choice(EUR_COUNTRIES)
        names = ONE_OFF_NAMES["EUR"]
    else:
        country, language = ONE_OFF_COUNTRIES[currency]
        names = ONE_OFF_NAMES.get(country, ONE_OFF_NAMES.get(currency))
    (surname, surname_latin), (given, given_latin) = rng.choice(names[0]), rng.choice(names[1])
    if country == "CN":
        native, latin = surname + given, f"{surname_latin} {given_latin}"
        display = rng.choice(["币友", "用户", "U商", "换汇"]) + f"{rng.randint(1000, 99999)}"
    elif country == "RU":
        native, latin = f"{given} {surname}", f"{given_latin} {surname_latin}"
        display = rng.choice(["user", "crypto_", "trade", "p2p_"]) + f"{rng.randint(1000, 99999)}"
    else:
        native, latin = f"{given} {surname}", f"{given_latin} {surname_latin}"
        display = rng.choice(["User-", "p2p_", "fast", given.lower() + "_"]) + (
            f"{rng.getrandbits(20):05x}"
        )
    return Person(native, latin, display, country, language)
