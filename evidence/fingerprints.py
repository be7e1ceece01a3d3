"""Voucher fingerprints: recycled vouchers found among millions of stored images.

Exact copies are found by sha256 (Evidence.sha256). Near-copies (resized, re-encoded,
re-saved as another format, cropped by a few pixels, a digit painted over) in two steps:

1. Candidates: a 256-bit perceptual hash (imagehash pHash, hash_size=16) of the image
   with its uniform margins trimmed, so a crop of the margin does not move the hash.
   The hash is split into SEGMENTS 16-bit segments, each in its own indexed column
   (multi-index hashing): by pigeonhole, a hash within NEAR_BITS < SEGMENTS bits of
   another equals it exactly in at least one segment, so one OR of equalities on
   indexed columns finds every candidate without scanning the table.
2. Verification: receipts rendered from one bank app's template share the hash too
   (same layout, different text). A stored grayscale thumbnail of the trimmed image is
   aligned onto the other (scale and shift fitted on the row and column profiles, grey
   levels matched), and the regions where they differ are counted: a near-copy differs
   nowhere or in one region (an edited amount), a sibling receipt in several (amount,
   name, time, reference).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagehash
import numpy as np
from django.db.models import Q
from PIL import Image, ImageOps
from scipy import ndimage

from .models import FingerprintColumns, VoucherFingerprint

HASH_SIZE = 16  # pHash of 16x16 DCT coefficients: 256 bits
HASH_BITS = HASH_SIZE * HASH_SIZE
SEGMENTS = 16
SEGMENT_BITS = HASH_BITS // SEGMENTS
# Near-copies measured within 10 bits (tests/evidence/test_fingerprints.py); the index
# finds everything within SEGMENTS - 1 bits.
NEAR_BITS = SEGMENTS - 1
# How many of the closest candidates are verified: a popular template can put many
# honest receipts within NEAR_BITS, and verification costs milliseconds each.
VERIFY_LIMIT = 20

THUMB_WIDTH = 192
THUMB_MAX_HEIGHT = 4 * THUMB_WIDTH
# A grey step this large between neighbours is content, not a flat margin or a bar.
EDGE_LEVEL = 24
# Verification: a blurred grey difference above DIFF_LEVEL is a difference, a region
# needs MIN_REGION_CELLS such cells, and a copy has at most MAX_REGIONS regions.
DIFF_LEVEL = 16
MIN_REGION_CELLS = 6
MAX_REGIONS = 1
_SCALES = np.arange(0.94, 1.0601, 0.0025)
_SHIFTS = np.arange(-6, 6.01, 0.25)
_SUBPIXEL = [(dy, dx) for dy in (-1, -0.5, 0, 0.5, 1) for dx in (-1, -0.5, 0, 0.5, 1)]


@dataclass(frozen=True)
class Fingerprint:
    """What is stored for one image: the hash (hex), its segments, and the thumbnail."""

    phash: str
    segments: tuple[int, ...]
    thumbnail: bytes

    @classmethod
    def of(cls, image: Image.Image) -> Fingerprint:
        content = trimmed(image)
        phash = str(imagehash.phash(content, hash_size=HASH_SIZE))
        return cls(phash=phash, segments=segments_of(phash), thumbnail=_thumbnail_png(content))


def trimmed(image: Image.Image) -> Image.Image:
    """The image in grey, cut to the box where its content has edges. Columns are judged
    by horizontal steps and rows by vertical ones, so a margin of any colour and a
    full-width bar (an app's header) both vanish: cropping a few pixels off any edge
    leaves the same content."""
    gray = ImageOps.exif_transpose(image).convert("L")
    pixels = np.asarray(gray, dtype=np.int16)
    cols = np.flatnonzero((np.abs(np.diff(pixels, axis=1)) > EDGE_LEVEL).any(axis=0))
    rows = np.flatnonzero((np.abs(np.diff(pixels, axis=0)) > EDGE_LEVEL).any(axis=1))
    if len(cols) < 2 or len(rows) < 2:
        return gray
    return gray.crop((int(cols[0]), int(rows[0]), int(cols[-1]) + 2, int(rows[-1]) + 2))


def segments_of(phash: str) -> tuple[int, ...]:
    """The hash's SEGMENTS segments of SEGMENT_BITS bits, most significant first."""
    step = SEGMENT_BITS // 4
    return tuple(int(phash[i : i + step], 16) for i in range(0, len(phash), step))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _thumbnail_png(content: Image.Image) -> bytes:
    height = max(8, round(THUMB_WIDTH * content.height / content.width))
    small = content.resize((THUMB_WIDTH, min(height, THUMB_MAX_HEIGHT)), Image.Resampling.BOX)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _pixels(thumbnail: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(thumbnail)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32)


def _fit(target: np.ndarray, moving: np.ndarray) -> tuple[float, float]:
    """Scale and shift that map a 1-d profile onto another (least absolute error)."""
    centre = (len(target) - 1) / 2
    x = np.arange(len(target)) - centre
    scales, shifts = np.meshgrid(_SCALES, _SHIFTS, indexing="ij")
    at = x[None, None, :] * scales[..., None] + centre + shifts[..., None]
    values = np.interp(at.ravel(), np.arange(len(moving)), moving).reshape(at.shape)
    i, j = np.unravel_index(np.abs(values - target).mean(axis=-1).argmin(), scales.shape)
    return float(_SCALES[i]), float(_SHIFTS[j])


def _aligned(target: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """`moving` resampled onto `target`'s grid: same size, then the scale and shift that
    best match the column and row profiles (what a crop into the content changes)."""
    h, w = target.shape
    moving = np.asarray(
        Image.fromarray(moving).resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32
    )
    sx, tx = _fit(target.mean(axis=0), moving.mean(axis=0))
    sy, ty = _fit(target.mean(axis=1), moving.mean(axis=1))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    coords = [(yy - cy) * sy + cy + ty, (xx - cx) * sx + cx + tx]
    return ndimage.map_coordinates(moving, coords, order=1, mode="nearest")


def _matched_levels(target: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """`moving`'s grey levels mapped monotonically onto `target`'s (histogram matching,
    tied levels averaged): a brightness or contrast change is no difference."""
    levels, inverse, counts = np.unique(
        np.round(moving.ravel()), return_inverse=True, return_counts=True
    )
    ends = np.cumsum(counts)
    sums = np.concatenate([[0.0], np.cumsum(np.sort(target.ravel()))])
    return ((sums[ends] - sums[ends - counts]) / counts)[inverse].reshape(moving.shape)


def differing_regions(thumbnail: bytes, other: bytes) -> int:
    """How many separate regions two thumbnails differ in after alignment. Each cell is
    compared with the best of small sub-pixel shifts of the other, so what resampling
    moved by less than a pixel is no difference."""
    target = _pixels(thumbnail)
    moving = _aligned(target, _pixels(other))
    moving = ndimage.gaussian_filter(_matched_levels(target, moving), 1.0)
    target = ndimage.gaussian_filter(target, 1.0)
    error = None
    for dy, dx in _SUBPIXEL:
        step = np.abs(target - ndimage.shift(moving, (dy, dx), order=1, mode="nearest"))
        error = step if error is None else np.minimum(error, step)
    differs = error > DIFF_LEVEL
    labels, n = ndimage.label(ndimage.binary_dilation(differs, iterations=2))
    if not n:
        return 0
    cells = ndimage.sum(differs, labels, range(1, n + 1))
    return int((np.asarray(cells) >= MIN_REGION_CELLS).sum())


def is_near_copy(thumbnail: bytes, other: bytes) -> bool:
    """A copy of the same picture, perhaps with one region edited (a changed amount)."""
    return differing_regions(thumbnail, other) <= MAX_REGIONS


def candidate_filter(segments: tuple[int, ...]) -> Q:
    """Rows sharing at least one segment: one OR of equalities, each on its own index
    (PostgreSQL answers it with a BitmapOr of SEGMENTS index scans)."""
    found = Q()
    for i, value in enumerate(segments):
        found |= Q(**{f"s{i}": value})
    return found


def nearest_candidates(
    phash: str, *, model: type[FingerprintColumns] = VoucherFingerprint, queryset=None
) -> tuple[list[tuple[int, int]], int]:
    """(distance, pk) of the stored hashes within NEAR_BITS of `phash`, closest first and
    at most VERIFY_LIMIT, and how many candidates the index gave."""
    rows = (queryset if queryset is not None else model.objects).filter(
        candidate_filter(segments_of(phash))
    )
    scored = [(hamming(phash, other), pk) for pk, other in rows.values_list("pk", "phash")]
    near = sorted(item for item in scored if item[0] <= NEAR_BITS)
    return near[:VERIFY_LIMIT], len(scored)
