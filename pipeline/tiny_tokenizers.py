"""Small real tokenizers for the ``tiny`` profile, built with the `tokenizers` library into a
local cache directory. No network: vocabularies come from a word list shipped here.

Three kinds are needed, because the full models use three families:
- CLIP byte-level BPE (Stable Diffusion text encoder, CLIP scorer, CLIPSeg),
- BERT WordPiece (GroundingDINO's text backbone; its special ids are hard-coded upstream),
- a word-level tokenizer for the metadata LLM, so random weights still emit words.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertTokenizer, CLIPTokenizer, PreTrainedTokenizerFast

# Bumped whenever the generated files change, so stale caches are never reused.
TOKENIZER_VERSION = "v2"

# Scene vocabulary: hazard words, moving elements, moods, lighting, places. The LLM's
# output is drawn from these, plus a few junk tokens ("0", "α") the paper observed, so
# the prompt post-processing has real work to do even with random weights.
SCENE_WORDS: tuple[str, ...] = (
    "flood",
    "water",
    "river",
    "rain",
    "heavy",
    "torrent",
    "flooded",
    "street",
    "landslide",
    "mud",
    "rock",
    "slope",
    "hill",
    "mountain",
    "drought",
    "dry",
    "cracked",
    "earth",
    "field",
    "dust",
    "sun",
    "heat",
    "haze",
    "wildfire",
    "fire",
    "flames",
    "smoke",
    "forest",
    "burning",
    "ember",
    "ash",
    "snow",
    "heavy_snow",
    "blizzard",
    "ice",
    "frost",
    "cold",
    "wind",
    "typhoon",
    "hurricane",
    "cyclone",
    "clouds",
    "storm",
    "thunderstorm",
    "lightning",
    "gust",
    "tornado",
    "funnel",
    "debris",
    "earthquake",
    "rubble",
    "collapsed",
    "building",
    "road",
    "tsunami",
    "wave",
    "ocean",
    "sea",
    "shore",
    "coast",
    "tide",
    "city",
    "town",
    "village",
    "house",
    "bridge",
    "car",
    "trees",
    "grass",
    "sky",
    "night",
    "dawn",
    "dusk",
    "evening",
    "morning",
    "noon",
    "dark",
    "gloomy",
    "ominous",
    "calm",
    "dramatic",
    "violent",
    "golden",
    "grey",
    "gray",
    "red",
    "orange",
    "blue",
    "white",
    "black",
    "green",
    "brown",
    "bright",
    "dim",
    "glowing",
    "lighting",
    "light",
    "shadow",
    "mist",
    "fog",
    "rainfall",
    "puddle",
    "stream",
    "waterfall",
    "valley",
    "plain",
    "desert",
    "roof",
    "window",
    "wall",
    "fence",
    "pole",
    "power",
    "line",
    "tower",
    "harbor",
    "boat",
    "ship",
    "beach",
    "cliff",
    "rocks",
    "sand",
    "dunes",
    "wide",
    "angle",
    "view",
    "photo",
    "realistic",
    "detailed",
    "cinematic",
    "scene",
    "landscape",
    "aerial",
    "close",
    "distant",
    "high",
    "low",
    "strong",
    "swirling",
    "rising",
    "falling",
    "rushing",
    "spreading",
    "blowing",
    "drifting",
    "frozen",
    "melting",
    "scorching",
    "parched",
    "barren",
    "empty",
    "deserted",
    "quiet",
    "loud",
    "heavy",
    "light",
    "thick",
    "thin",
    "over",
    "under",
    "above",
    "below",
    "across",
    "through",
    "along",
    "near",
    "far",
    "with",
    "and",
    "of",
    "the",
    "a",
    "in",
    "on",
    "at",
    "under",
    "very",
    "slowly",
    "quickly",
    "no",
    "people",
    "humans",
    "person",
    "crowd",
)
JUNK_TOKENS: tuple[str, ...] = ("0", "α", "1", "##", "...", "|", "-", ",", ".")


def cache_root() -> Path:
    """Where generated tokenizer files live: ``$XDG_CACHE_HOME/cinealert`` (default
    ``~/.cache/cinealert``). Not a ``CINEALERT_*`` variable: the daemon refuses unknown ones."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "cinealert" / "tiny-tokenizers" / TOKENIZER_VERSION


def _publish(build_into: Callable[[Path], None], name: str) -> Path:
    """Build into a temp dir, then rename into place; concurrent builders cannot collide."""
    target = cache_root() / name
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        build_into(staging)
        os.replace(staging, target)
    except OSError:
        # Another process published the same directory first; theirs is identical.
        if not target.is_dir():
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _training_corpus() -> list[str]:
    words = list(SCENE_WORDS)
    return [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)] * 4


def build_clip_tokenizer_dir() -> Path:
    """A CLIP byte-level BPE tokenizer trained on the scene words (model_max_length 77)."""

    def build(directory: Path) -> None:
        template = CLIPTokenizer()  # carries CLIP's normalizer and pre-tokenizer
        backend = Tokenizer(models.BPE(end_of_word_suffix="</w>", unk_token="<|endoftext|>"))
        backend.normalizer = template.backend_tokenizer.normalizer
        backend.pre_tokenizer = template.backend_tokenizer.pre_tokenizer
        trainer = trainers.BpeTrainer(
            vocab_size=600,
            special_tokens=["<|startoftext|>", "<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            end_of_word_suffix="</w>",
            show_progress=False,
        )
        backend.train_from_iterator(_training_corpus(), trainer=trainer)
        vocab: dict[str, int] = dict(backend.get_vocab())
        # Every byte must exist both inside and at the end of a word, or rare letters
        # would turn into <unk>.
        for char in pre_tokenizers.ByteLevel.alphabet():
            for token in (char, char + "</w>"):
                if token not in vocab:
                    vocab[token] = len(vocab)
        merges = _merges_of(backend)
        tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)  # type: ignore[arg-type]  # tokenizers wants (a, b) pairs
        tokenizer.save_pretrained(directory)

    return _publish(build, "clip")


def _merges_of(backend: Tokenizer) -> list[tuple[str, str]]:
    state = json.loads(backend.to_str())
    merges = state["model"]["merges"]
    pairs: list[tuple[str, str]] = []
    for merge in merges:
        first, second = merge.split(" ", 1) if isinstance(merge, str) else merge
        pairs.append((first, second))
    return pairs


# GroundingDINO masks attention using fixed BERT ids ([CLS]=101, [SEP]=102, "."=1012,
# "?"=1029); the tiny vocabulary keeps those ids so the model's text masking is real.
BERT_FIXED_IDS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}
BERT_FIXED_IDS.update({".": 1012, "?": 1029})
BERT_VOCAB_SIZE = 1100


def bert_vocab() -> dict[str, int]:
    """A WordPiece vocabulary of ``BERT_VOCAB_SIZE`` ids with BERT's special ids in place."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    entries = [w for w in SCENE_WORDS if w.isalpha()] + letters + ["##" + ch for ch in letters]
    entries += [",", "!", "-", "'", '"', "(", ")", ":", ";", "/"]
    vocab = dict(BERT_FIXED_IDS)
    free = (i for i in range(BERT_VOCAB_SIZE) if i not in vocab.values())
    for entry in dict.fromkeys(entries):
        if entry not in vocab:
            vocab[entry] = next(free)
    for index in free:
        vocab[f"[unused{index}]"] = index
    return vocab


def build_bert_tokenizer_dir() -> Path:
    """A BERT WordPiece tokenizer for GroundingDINO's text backbone."""

    def build(directory: Path) -> None:
        BertTokenizer(vocab=bert_vocab(), model_max_length=256).save_pretrained(directory)

    return _publish(build, "bert")


LLM_SPECIALS = ("<unk>", "<s>", "</s>", "<pad>")
LLM_INSTRUCTION_TOKENS = ("[INST]", "[/INST]")


def build_llm_tokenizer_dir() -> Path:
    """A word-level tokenizer for the tiny LLM: random weights then still produce words."""

    def build(directory: Path) -> None:
        words = list(dict.fromkeys([*LLM_SPECIALS, *SCENE_WORDS, *JUNK_TOKENS]))
        vocab = {word: index for index, word in enumerate(words)}
        backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
        backend.normalizer = normalizers.Lowercase()
        backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        backend.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", vocab["<s>"])]
        )
        tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
            tokenizer_object=backend,
            unk_token="<unk>",
            bos_token="<s>",
            eos_token="</s>",
            pad_token="<pad>",
        )
        tokenizer.add_tokens(list(LLM_INSTRUCTION_TOKENS))
        tokenizer.save_pretrained(directory)

    return _publish(build, "llm")
