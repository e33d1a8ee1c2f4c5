"""digitpad-export: write a digit model as ONNX, TensorFlow Lite or a TF SavedModel."""

from __future__ import annotations

import argparse
import sys

from digitpad.core.data import DATA_ENV_VAR, DataError
from digitpad.core.registry import ModelError
from digitpad.export.target import (DEFAULT_OPSET, ONNX_WRITERS, TFLITE_TYPES, ExportError,
                                    resolve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad-export",
        description="Export a digitpad model (.keras) for other runtimes. The format follows "
                    "OUT: x.onnx (ONNX), x.tflite (TensorFlow Lite) or a folder (TF "
                    "SavedModel). The export is checked with its own runtime against Keras "
                    "and deleted if it gives other answers; its card goes along (ONNX "
                    "metadata, or NAME.json beside it).",
        epilog="Every export takes (n, 28, 28, 1) float32 images on [0, 1], preprocessed as "
               "digitpad does, and outputs softmax probabilities (10 digits, then 'not a "
               "digit' for models that have it).")
    parser.add_argument("model", metavar="MODEL", help="the .keras model to export")
    parser.add_argument("out", metavar="OUT", help="x.onnx, x.tflite or a folder")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                        help=f"ONNX opset (default: {DEFAULT_OPSET})")
    parser.add_argument("--tflite-type", choices=list(TFLITE_TYPES), default="float32",
                        help="TFLite weights: float32 (default), float16, or int8 "
                             "dynamic-range quantised; the last two print their MNIST "
                             "test accuracy")
    parser.add_argument("--onnx-writer", choices=ONNX_WRITERS, default="auto",
                        help="keras: Keras's exporter (tf2onnx); direct: digitpad's own "
                             "writer from the weights; auto (default): the first that works")
    parser.add_argument("--data", metavar="DIR",
                        help=f"MNIST for the checks (default: ${DATA_ENV_VAR}, then the "
                             f"per-user folder; never downloaded)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        resolve(args.out)  # a wrong OUT fails here, before TensorFlow loads
        from digitpad.export.exporter import export_model

        result = export_model(args.model, args.out, opset=args.opset,
                              tflite_type=args.tflite_type, onnx_writer=args.onnx_writer,
                              data_folder=args.data, progress=_print_step)
    except (ExportError, ModelError, DataError) as exc:
        print(f"digitpad-export: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("digitpad-export: interrupted; nothing written", file=sys.stderr)
        return 130
    for line in result.lines:
        print(line)
    return 0


def _print_step(step: int, steps: int, text: str) -> None:
    print(f"[{step}/{steps}] {text}...", flush=True)
