"""Computes tests/fixtures/tokenizers/expected.json: reference token counts of the corpus.

Every family is counted by its publisher's tokenizer files through a reference engine, offline:
- o200k_base, cl100k_base: OpenAI's `tiktoken` (PyPI) reading the rank files in its cache dir
  (TIKTOKEN_CACHE_DIR), which it checks against the SHA-256 it pins for each file.
- llama3: Meta's own `Tokenizer` from the `llama-models` wheel (PyPI) and its `tokenizer.model`.
- qwen2 (Qwen 2.5 / 3), deepseek_v3: Hugging Face `tokenizers` (PyPI) on each model's
  `tokenizer.json`, without added special tokens.
- mistral_tekken: Mistral's own `Tekkenizer` from `mistral-common` (PyPI) and the tekken file
  it ships, without BOS/EOS.

Usage: python expected.py PATHS.json > expected.json, where PATHS.json names the files:
{"tiktoken_cache": DIR, "llama_models": DIR, "qwen": FILE, "deepseek_v3": FILE, "tekken": FILE}
"""

import hashlib
import json
import os
import sys

from corpus import CORPUS


def main():
    paths = json.load(open(sys.argv[1]))
    os.environ["TIKTOKEN_CACHE_DIR"] = paths["tiktoken_cache"]
    import tiktoken

    counters = {}
    for name in ("o200k_base", "cl100k_base"):
        encoding = tiktoken.get_encoding(name)
        counters[name] = lambda text, e=encoding: len(e.encode_ordinary(text))

    sys.path.insert(0, paths["llama_models"])
    from llama_models.llama3.tokenizer import Tokenizer as LlamaTokenizer

    from pathlib import Path

    llama = LlamaTokenizer(Path(paths["llama_models"]) / "llama_models/llama3/tokenizer.model")
    counters["llama3"] = lambda text: len(llama.encode(text, bos=False, eos=False, allowed_special=set()))

    from tokenizers import Tokenizer

    for name in ("qwen2", "deepseek_v3"):
        hf = Tokenizer.from_file(paths[name])
        counters[name] = lambda text, t=hf: len(t.encode(text, add_special_tokens=False).ids)

    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    tekken = Tekkenizer.from_file(paths["tekken"])
    counters["mistral_tekken"] = lambda text: len(tekken.encode(text, bos=False, eos=False))

    files = {
        name: hashlib.sha256(open(path, "rb").read()).hexdigest()
        for name, path in (
            ("llama3 tokenizer.model", os.path.join(paths["llama_models"], "llama_models/llama3/tokenizer.model")),
            ("qwen2 tokenizer.json", paths["qwen2"]),
            ("deepseek_v3 tokenizer.json", paths["deepseek_v3"]),
            ("mistral tekken", paths["tekken"]),
        )
    }
    from importlib.metadata import version

    out = {
        "how": "scripts/tokenizer-reference/expected.py (see its docstring for the files used)",
        "engines": {
            "o200k_base": f"tiktoken {version('tiktoken')} (OpenAI), encode_ordinary",
            "cl100k_base": f"tiktoken {version('tiktoken')} (OpenAI), encode_ordinary",
            "llama3": "llama-models 0.3.0 (Meta) llama3 Tokenizer, no BOS/EOS, no special tokens",
            "qwen2": f"tokenizers {version('tokenizers')} (Hugging Face) on Qwen3's tokenizer.json, add_special_tokens=False",
            "deepseek_v3": f"tokenizers {version('tokenizers')} (Hugging Face) on DeepSeek V3's tokenizer.json, add_special_tokens=False",
            "mistral_tekken": f"mistral-common {version('mistral-common')} (Mistral) Tekkenizer on tekken_240911.json, no BOS/EOS",
        },
        "sources_sha256": files,
        "corpus": CORPUS,
        "counts": {name: [count(text) for text in CORPUS] for name, count in counters.items()},
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


main()
