"""Is the name on a voucher the buyer's name? Names compared as people write them.

A voucher shows the payer as the bank prints it: upper case, without accents, given
name first or last, a patronymic dropped, a part masked ("张*", "Z*** WEI", "Иван П."),
in the characters of the KYC record or in a romanisation of them (pinyin for Chinese,
one of several transliterations for Russian). `same_person` says whether two such
spellings can be the same person; the risk scorer raises a payer-name mismatch only
when they cannot.

How it decides, and why:

- Two names in Chinese characters are compared as characters (homophones such as 张伟
  and 张薇 are different people), a masked character standing for any character.
- A name in Chinese characters against a Latin one is compared by sound: the
  characters' toneless pinyin (pypinyin, every reading of a character with several,
  ü as u, v, yu or ue), surname first or last, syllables joined or apart. Homophones
  collide here, unavoidably: a pinyin voucher carries nothing else to compare.
- Everything else goes to ASCII (anyascii: Cyrillic, accents, other scripts) and is
  compared word by word in any order; the shorter name may leave out parts of the
  longer one (a KYC patronymic or middle name, not on the voucher) but must keep at
  least two of them, and a word may be an initial ("I.") or masked ("P***").
- Russian names have several Latin spellings in use at once (passport ICAO, the older
  GOST and ALA-LC ones, English and German habits): Aleksandr/Alexander, Iurii/Yuri/
  Yury/Juri, Dmitriy/Dmitry/Dmitrii, Kh/H, Ts/Tz/C, Ё as yo/io/e, -iy/-y/-ii/-ij. Both
  sides are folded to one key (`_fold`) before comparing. The folding is not applied
  when both names are entirely pinyin, because in pinyin those letters are distinct
  sounds (ji/zi, jia/ya, xi/si: different people).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii
from pypinyin import Style, pinyin
from pypinyin.pinyin_dict import pinyin_dict

# CJK unified ideographs (with extension A and the compatibility block).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What banks mask a part of a name with; all read as "*".
_MASKS = re.compile(r"[*＊●×]+")
# Dots and spaces inside a Chinese name (the interpunct of transliterated foreign names).
_HAN_SEPARATORS = re.compile(r"[\s·・.．•]+")
_SIGN_BEFORE_VOWEL = re.compile(r"[ьъЬЪ](?=[еёюяиЕЁЮЯИ])")
# Readings kept per character; a handful of characters have more.
_READINGS = 4
# Words of a name compared, and of those joined in any order ("zhangwei"); real names
# have fewer, this bounds the work on a pathological one.
_MAX_WORDS = 6
_MAX_JOINED = 4


@dataclass(frozen=True, order=True)
class _Word:
    """A Latin word of a name: `text` is its letters (folded or not), `partial` when only
    its start is known (an initial "I." or a masked "P***")."""

    text: str
    partial: bool


def same_person(a: str, b: str) -> bool:
    """Whether the two written names can be the same person. An empty name says nothing
    either way (True), so the caller decides what a missing name means."""
    a, b = _clean(a), _clean(b)
    if not a.strip("* ") or not b.strip("* "):
        return True
    a_han, b_han = bool(_HAN.search(a)), bool(_HAN.search(b))
    if a_han and b_han:
        return _han_same(a, b)
    if a_han or b_han:
        han, latin = (a, b) if a_han else (b, a)
        return _han_latin_same(han, latin)
    return _latin_same(a, b)


def _clean(name: str) -> str:
    """Compatibility forms (full-width letters, digits) to plain ones, every mask as "*"."""
    return _MASKS.sub("*", unicodedata.normalize("NFKC", name)).strip()


# --- Chinese characters ---------------------------------------------------------------


def _han_same(a: str, b: str) -> bool:
    """Characters against characters; a mask (one or more *) stands for one or more
    characters. Latin letters beside the characters ("张伟 ZHANG WEI") are ignored."""
    a, b = _han_only(a), _han_only(b)
    if "*" not in a and "*" not in b:
        return a == b
    return bool(_han_pattern(a).fullmatch(b) or _han_pattern(b).fullmatch(a))


def _han_only(name: str) -> str:
    return "".join(ch for ch in _HAN_SEPARATORS.sub("", name) if ch == "*" or _HAN.match(ch))


def _han_pattern(name: str) -> re.Pattern[str]:
    """Masked characters as a regex; a mask matches characters or the other's mask."""
    return re.compile(
        "".join(
            r"(?:[^*]+|\*+)" if chunk.startswith("*") else re.escape(chunk)
            for chunk in re.split(r"(\*+)", name)
            if chunk
        )
    )


@functools.lru_cache(maxsize=4096)
def _readings(char: str) -> tuple[str, ...]:
    """A character's toneless pinyin readings, ü also as u, v, yu and ue (how ID cards,
    passports and bank apps write it: LV, LU, LYU, LUE for 吕)."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings: list[str] = []
    for reading in (found[0] if found else [])[:_READINGS]:
        if "v" in reading:
            readings += [reading.replace("v", alt) for alt in ("v", "u", "yu", "ue")]
        else:
            readings.append(reading)
    return tuple(dict.fromkeys(readings))


def _han_latin_same(han: str, latin: str) -> bool:
    """Characters against a romanisation, by sound, in either order (surname, of one or
    two characters, first or last)."""
    chars = list(_han_only(han))
    words = _latin_words(latin, fold=False)
    if not chars or not words:
        return True
    if "*" in chars:
        # The characters are masked: the Latin letters against a pattern of them.
        if any(w.partial for w in words):
            return True  # both sides partly hidden: nothing contradicts
        return _masked_han_matches(chars, "".join(w.text for w in words))
    pattern = _words_pattern(words)
    for order in _han_orders(chars):
        readings = [_readings(ch) or ("?",) for ch in order]
        for combo in itertools.islice(itertools.product(*readings), 256):
            if pattern.fullmatch("-".join(combo)):
                return True
    return False


def _han_orders(chars: list[str]) -> list[list[str]]:
    """The name as written (surname first) and given name first, for a surname of one
    character and, on three or more, of two (欧阳, 司马)."""
    orders = [chars]
    for split in (1, 2) if len(chars) >= 3 else (1,):
        if split < len(chars):
            orders.append(chars[split:] + chars[:split])
    return orders


def _masked_han_matches(chars: list[str], letters: str) -> bool:
    def piece(ch: str) -> str:
        if ch == "*":
            return "[a-z]+"
        return "(?:" + "|".join(map(re.escape, _readings(ch) or ("?",))) + ")"

    return any(
        re.fullmatch("".join(piece(ch) for ch in order), letters) for order in _han_orders(chars)
    )


def _words_pattern(words: list[_Word]) -> re.Pattern[str]:
    """A regex over syllables joined with "-": a full word may span several of them
    ("xiaoming" for xiao-ming), a partial word is its known start and any letters."""
    pieces = []
    for word in words:
        if word.partial:
            pieces.append(re.escape(word.text) + "[a-z-]*")
        else:
            pieces.append("-?".join(map(re.escape, word.text)))
    return re.compile("-".join(pieces))


# --- Latin (and everything anyascii turns into Latin) ---------------------------------


def _latin_same(a: str, b: str) -> bool:
    """Word by word in any order. Pinyin names have no middle names or patronymics, so
    when both are pinyin every word must be accounted for."""
    pinyin_only = _all_pinyin(a) and _all_pinyin(b)
    wa, wb = _latin_words(a, fold=not pinyin_only), _latin_words(b, fold=not pinyin_only)
    if not wa or not wb:
        return True
    extra = not pinyin_only
    return any(_aligned(list(v), wb, extra=extra) for v in _merges(wa)) or any(
        _aligned(wa, list(v), extra=extra) for v in _merges(wb)
    )


def _merges(words: list[_Word]) -> set[tuple[_Word, ...]]:
    """The name's words, and their full words joined in any order and grouping
    ("Zhang Wei" as "zhangwei", "Xiao Ming Wang" as "xiaoming wang")."""
    full = [w for w in words if not w.partial]
    partial = [w for w in words if w.partial]
    found = {tuple(sorted(words))}
    if len(full) > _MAX_JOINED:
        return found
    for order in itertools.permutations(full):
        for cuts in itertools.product((False, True), repeat=max(0, len(order) - 1)):
            groups, current = [], order[0].text if order else ""
            for word, joined in zip(order[1:], cuts, strict=True):
                if joined:
                    current += word.text
                else:
                    groups.append(current)
                    current = word.text
            groups.append(current)
            found.add(tuple(sorted([*(_Word(g, False) for g in groups if g), *partial])))
    return found


def _aligned(a: list[_Word], b: list[_Word], *, extra: bool) -> bool:
    """Whether every word of the shorter name matches a different word of the longer
    one; the longer may have more (a patronymic) when `extra`, but the shorter keeps at
    least two words of a name of two or more."""
    short, long_ = sorted((a, b), key=len)
    if len(short) < min(2, len(long_)) or (not extra and len(short) != len(long_)):
        return False
    return _matching(short, long_) == len(short)


def _matching(short: list[_Word], long_: list[_Word]) -> int:
    """How many of `short`'s words can each take a different matching word of `long_`
    (a maximum bipartite matching, by augmenting paths: names are a few words long)."""
    owner: dict[int, int] = {}

    def take(i: int, seen: set[int]) -> bool:
        for j, word in enumerate(long_):
            if j not in seen and _word_match(short[i], word):
                seen.add(j)
                if j not in owner or take(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(take(i, set()) for i in range(len(short)))


def _word_match(x: _Word, y: _Word) -> bool:
    if x.partial and y.partial:
        return x.text.startswith(y.text) or y.text.startswith(x.text)
    if x.partial:
        return y.text.startswith(x.text)
    if y.partial:
        return x.text.startswith(y.text)
    return x.text == y.text


def _latin_words(name: str, *, fold: bool) -> list[_Word]:
    """The name's words in ASCII, lower case; an initial ("I.", "I") or a masked word
    ("P***", "I***n": its start) is partial."""
    words = []
    # A soft or hard sign before a vowel makes it iotated: Васильев is Vasilyev as often
    # as Vasil'ev, Наталья is Natalya.
    name = _SIGN_BEFORE_VOWEL.sub("й", name)
    for raw in re.split(r"[\s,;/_]+|(?<=\.)|-(?=\w)", anyascii(name).lower()):
        partial = "*" in raw or bool(re.fullmatch(r"[a-z]\.?", raw))
        letters = re.sub(r"[^a-z]", "", raw.split("*")[0])
        if not letters and not partial:
            continue
        words.append(_Word(_fold(letters) if fold else letters, partial))
    return words[:_MAX_WORDS]


def _fold(word: str) -> str:
    """One key for the Latin spellings of a Russian (or Ukrainian, Belarusian) name.

    Each step is a transliteration difference in real use, applied the same way to
    both names:
    shch/sch/shtch (Щ, German Ш) -> sh; tch/tsch (French, German Ч) -> ch; kh (Х) -> h;
    x -> ks (Alexander/Aleksandr); ts/tz (Ц) -> c; c before a consonant -> k
    (Victor/Viktor); ph -> f; w -> v (German Iwanow); dzh and j (Й in German/Polish
    spelling, Дж in English) -> i/j as y; y -> i (Yuri/Iurii, -iy/-ii/-y endings);
    ё as yo/io/e -> e after a consonant (Fyodor/Fedor, Semyon/Semen); a leading ye/je
    -> e (Yevgeny/Evgeny); ie after a vowel -> e (Andreyev/Andreev); double letters
    single (Gennadiy/Genadiy); a final consonant+er -> consonant+r (Alexander/
    Aleksandr)."""
    for old, new in (
        ("shtch", "sh"),
        ("schtsch", "sh"),
        ("shch", "sh"),
        ("sch", "sh"),
        ("tsch", "ch"),
        ("tch", "ch"),
        ("kh", "h"),
        ("x", "ks"),
        ("ts", "c"),
        ("tz", "c"),
        ("ck", "k"),
        ("ph", "f"),
        ("w", "v"),
        ("dzh", "j"),
        ("j", "y"),
        ("y", "i"),
    ):
        word = word.replace(old, new)
    word = re.sub(r"c(?=[^aeiouh]|$)", "k", word)
    word = re.sub(r"(?<=[^aeiou])io", "e", word)
    word = re.sub(r"^ie", "e", word)
    word = re.sub(r"(?<=[aeiou])ie", "e", word)
    word = re.sub(r"(.)\1+", r"\1", word)
    word = re.sub(r"(?<=[^aeiou])er$", "r", word)
    return word


@functools.cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable, from pypinyin's own dictionary."""
    toned = {r for readings in pinyin_dict.values() for r in readings.split(",")}
    found = set()
    for reading in toned:
        # The tone marks off (decomposed, combining marks dropped); ü kept as v.
        letters = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
        normal = "".join(ch for ch in letters if not unicodedata.combining(ch))
        if re.fullmatch(r"[a-z]+", normal) and re.search(r"[aeiouv]", normal):
            found.add(normal)
    return frozenset(found)


@functools.lru_cache(maxsize=4096)
def _is_pinyin(word: str) -> bool:
    """Whether the word splits into pinyin syllables ("xiaoming", "zhang")."""
    syllables = _syllables()
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reachable[end] = any(
            reachable[start] and word[start:end] in syllables
            for start in range(max(0, end - 6), end)
        )
    return reachable[-1]


def _all_pinyin(name: str) -> bool:
    words = [w.text for w in _latin_words(name, fold=False) if not w.partial]
    return bool(words) and all(_is_pinyin(w) for w in words)
