"""same_person on names as banks, apps and KYC records write them: how often a matching
pair would raise a false payer-name alarm, and how often a different person passes."""

from __future__ import annotations

import pytest

from evidence.names import same_person

# (voucher or one spelling, KYC or another spelling): the same person.
SAME = [
    # Chinese characters against pinyin, in every order and case banks print.
    ("张伟", "ZHANG WEI"),
    ("张伟", "Zhang Wei"),
    ("张伟", "Wei Zhang"),
    ("张伟", "zhangwei"),
    ("王小明", "WANG XIAOMING"),
    ("王小明", "Xiaoming Wang"),
    ("王小明", "Wang Xiao Ming"),
    ("王小明", "Xiao-Ming Wang"),
    ("李娜", "LI NA"),
    ("刘洋", "Liu Yang"),
    ("陈静", "CHEN JING"),
    ("欧阳娜娜", "Ouyang Nana"),
    ("欧阳娜娜", "Nana Ouyang"),
    ("吕布", "LV BU"),
    ("吕布", "LYU BU"),
    ("吕布", "Lu Bu"),
    ("单田芳", "Shan Tianfang"),
    ("曾小贤", "Zeng Xiaoxian"),
    ("赵丽颖", "Zhao Liying"),
    ("黄晓明", "HUANG XIAO MING"),
    ("张 伟", "张伟"),
    ("张伟 ZHANG WEI", "张伟"),
    # Masked names as bank apps show them.
    ("张*", "张伟"),
    ("*伟", "张伟"),
    ("**明", "王小明"),
    ("王*明", "王小明"),
    ("*伟", "Zhang Wei"),
    ("Z*** WEI", "张伟"),
    ("ZHANG *", "张伟"),
    ("Иван П.", "Иван Петров"),
    ("IVAN P***", "Ivan Petrov"),
    ("И*** Петров", "Иван Петров"),
    # Case, spacing, accents, punctuation.
    ("  john   SMITH ", "John Smith"),
    ("JOSE GARCIA", "José García"),
    ("Francois Muller", "François Müller"),
    ("O'BRIEN SEAN", "Sean O'Brien"),
    ("Nguyen Van An", "Nguyễn Văn An"),
    ("ＺＨＡＮＧ ＷＥＩ", "张伟"),
    # Cyrillic against Latin, and the Latin spellings of Russian names among themselves.
    ("Иван Петров", "Ivan Petrov"),
    ("Petrov Ivan", "Иван Петров"),
    ("PETROV IVAN", "Иван Петров"),
    ("Александр Смирнов", "Alexander Smirnov"),
    ("Aleksandr Smirnov", "Alexander Smirnov"),
    ("Юрий Кузнецов", "Yuri Kuznetsov"),
    ("Iurii Kuznetsov", "Yury Kuznetsov"),
    ("Дмитрий Соколов", "Dmitry Sokolov"),
    ("Dmitrii Sokolov", "Dmitriy Sokolov"),
    ("Михаил Хабаров", "Mikhail Khabarov"),
    ("Mihail Habarov", "Mikhail Khabarov"),
    ("Наталья Попова", "Natalia Popova"),
    ("Natalya Popova", "Nataliya Popova"),
    ("Евгений Васильев", "Yevgeny Vasilyev"),
    ("Evgeniy Vasiliev", "Yevgeny Vasilyev"),
    ("Алексей Цветков", "Aleksey Tsvetkov"),
    ("Alexei Tzvetkov", "Aleksey Tsvetkov"),
    ("Фёдор Щукин", "Fyodor Shchukin"),
    ("Fedor Shchukin", "Fiodor Schukin"),
    ("Пётр Андреев", "Pyotr Andreyev"),
    ("Petr Andreev", "Pyotr Andreyev"),
    ("Юлия Ковалёва", "Yulia Kovaleva"),
    ("Iuliia Kovaleva", "Julia Kovaleva"),
    ("Ксения Яковлева", "Xenia Yakovleva"),
    ("Kseniya Iakovleva", "Ksenia Yakovleva"),
    ("Сергей Жуков", "Sergei Zhukov"),
    ("Sergey Zhukov", "Sergej Zhukov"),
    ("Виктор Ильин", "Victor Ilyin"),
    ("Татьяна Максимова", "Tatiana Maximova"),
    ("Iwan Petrow", "Ivan Petrov"),
    # Patronymics, middle names and initials: a KYC name has more parts than a voucher.
    ("Ivan Petrov", "Петров Иван Иванович"),
    ("Ivan Ivanovich Petrov", "Ivan Petrov"),
    ("Петров Иван Иванович", "Иван Петров"),
    ("I. Petrov", "Ivan Petrov"),
    ("I.I. Petrov", "Ivan Ivanovich Petrov"),
    ("Petrov I.", "Иван Петров"),
    ("John Michael Smith", "John Smith"),
    ("J. Smith", "John Smith"),
    ("Maria Fernanda Lopez", "Maria Lopez"),
    ("Sergey Sergeyevich Zhukov", "Сергей Сергеевич Жуков"),
]

# Different people: other given names, the same surname, similar sounds.
DIFFERENT = [
    ("张伟", "张薇"),
    ("张伟", "张玮"),
    ("张伟", "李伟"),
    ("张伟", "LI WEI"),
    ("张伟", "ZHANG WEIMING"),
    ("张伟", "Zhang Hua"),
    ("王小明", "王晓明"),
    ("王小明", "WANG XIAOHONG"),
    ("王小明", "Li Hua"),
    ("李娜", "LI NAN"),
    ("李娜", "李娜娜"),
    ("刘洋", "LIU YING"),
    ("陈静", "CHEN JIN"),
    ("欧阳娜娜", "OUYANG LILI"),
    ("吕布", "LI BU"),
    ("赵丽颖", "ZHAO LI"),
    ("张*", "李伟"),
    ("*伟", "张明"),
    ("Z*** WEI", "李伟"),
    ("Zhang Wei", "Zhang Weiming"),
    ("Zhang Jia", "Zhang Ya"),
    ("Zhang Ji", "Zhang Zi"),
    ("Wang Xi", "Wang Si"),
    ("Li Na", "Li Nan"),
    ("Chen Jing", "Chen Qing"),
    ("Wang Xiaoming", "Li Hua"),
    ("Ivan Petrov", "Sergey Petrov"),
    ("Ivan Petrov", "Petr Ivanov"),
    ("Ivan Petrov", "Ivan Petrovsky"),
    ("Ivan Petrov", "Anna Petrova"),
    ("Иван Петров", "Иван Сидоров"),
    ("Иван Петров", "Ivan Sidorov"),
    ("Иван Петров", "Igor Petrov"),
    ("Иван Петров", "Петров"),
    ("Иван П.", "Иван Сидоров"),
    ("IVAN P***", "Ivan Sidorov"),
    ("Александр Смирнов", "Alexey Smirnov"),
    ("Alexander Smirnov", "Alexandra Smirnova"),
    ("Юрий Кузнецов", "Yuliya Kuznetsova"),
    ("Дмитрий Соколов", "Dmitry Sobolev"),
    ("Михаил Хабаров", "Mikhail Khabibullin"),
    ("Наталья Попова", "Natalia Popovich"),
    ("Евгений Васильев", "Evgenia Vasilieva"),
    ("Алексей Цветков", "Aleksey Svetlov"),
    ("Фёдор Щукин", "Fyodor Shukshin"),
    ("Пётр Андреев", "Pyotr Andrianov"),
    ("Юлия Ковалёва", "Yulia Kovalenko"),
    ("Ксения Яковлева", "Kseniya Yakovenko"),
    ("Сергей Жуков", "Sergey Zhuravlev"),
    ("Виктор Ильин", "Viktoria Ilyina"),
    ("Татьяна Максимова", "Tamara Maksimova"),
    ("Oleg Ivanov", "Olga Ivanova"),
    ("John Smith", "Jane Smith"),
    ("John Smith", "John Smyth"),
    ("John Smith", "Smith"),
    ("Maria Lopez", "Mario Lopez"),
    ("Jose Garcia", "Josefa Garcia"),
    ("Sean O'Brien", "Shane O'Brien"),
    ("Nguyen Van An", "Nguyen Van Anh"),
    ("Ahmed Hassan", "Mohamed Hassan"),
    ("Ivan Petrov", "Zhang Wei"),
    ("Иван Петров", "张伟"),
    ("张伟", "Ivan Petrov"),
    ("Ivan Ivanovich Petrov", "Ivan Sergeevich Sidorov"),
    ("Mikhail Petrov", "Nikolai Petrov"),
]


def rates() -> tuple[float, float, list, list]:
    false_alarms = [pair for pair in SAME if not same_person(*pair)]
    misses = [pair for pair in DIFFERENT if same_person(*pair)]
    return len(false_alarms) / len(SAME), len(misses) / len(DIFFERENT), false_alarms, misses


def test_the_pair_lists_are_large_enough():
    assert len(SAME) >= 60 and len(DIFFERENT) >= 60
    assert not set(SAME) & set(DIFFERENT)


def test_false_alarms_and_misses_are_rare():
    false_alarm_rate, miss_rate, false_alarms, misses = rates()
    print(
        f"\nsame_person: false alarms {false_alarm_rate:.1%} of {len(SAME)} matching pairs"
        f" {false_alarms}; misses {miss_rate:.1%} of {len(DIFFERENT)} different people {misses}"
    )
    assert false_alarm_rate <= 0.02, false_alarms
    assert miss_rate <= 0.05, misses


@pytest.mark.parametrize(("a", "b"), SAME[:12] + DIFFERENT[:12])
def test_it_is_symmetric(a, b):
    assert same_person(a, b) == same_person(b, a)


def test_an_empty_name_says_nothing():
    assert same_person("", "Ivan Petrov") and same_person("张伟", "  ")


def test_chinese_characters_are_compared_as_characters_not_by_sound():
    assert same_person("张伟", "ZHANG WEI") and same_person("张薇", "ZHANG WEI")
    assert not same_person("张伟", "张薇")
