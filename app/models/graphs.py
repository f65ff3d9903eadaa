"""ONNX graphs: turning a dynamically quantised graph back into a float one.

The packaged reranker and bge embedder are ONNX Runtime dynamic int8 graphs: each
``MatMul`` became ``DynamicQuantizeLinear`` → ``MatMulInteger`` → ``Cast`` → ``Mul`` by
the scales, and embedding tables ``DequantizeLinear`` of int8 constants. On these
machines that graph runs slower than the float one does under OpenVINO, and much slower
than a statically quantised one. ``dequantize`` rewrites each pattern into a float
``MatMul`` over the dequantised weights, so the graph can be quantised again, statically.
The float weights carry the int8 rounding of the packaged ones; nothing else changes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

__all__ = ["dequantize"]


def dequantize(model: Any) -> Any:
    """A float copy of a dynamically quantised ``onnx.ModelProto`` (see the module doc)."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    readers: defaultdict[str, list[Any]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            readers[name].append(node)
    dropped: set[int] = set()
    added: list[Any] = []
    floats: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(i in constants for i in node.input):
            quantised, scale, *zero = (constants[i] for i in node.input)
            offset = zero[0].astype(np.float32) if zero else np.float32(0)
            floats[node.output[0]] = ((quantised.astype(np.float32) - offset) * scale).astype(
                np.float32
            )
            dropped.add(id(node))
        elif node.op_type == "MatMulInteger":
            added.append(_float_matmul(node, producer, readers, constants, floats, dropped))
    kept = [n for n in graph.node if id(n) not in dropped] + added
    read = {i for n in kept for i in n.input} | {o.name for o in graph.output}
    kept = [
        n for n in kept if n.op_type != "DynamicQuantizeLinear" or any(o in read for o in n.output)
    ]
    read = {i for n in kept for i in n.input}
    out = helper.make_graph(
        _in_order(kept, {i.name for i in graph.input} | set(constants) | set(floats)),
        graph.name,
        list(graph.input),
        list(graph.output),
        initializer=[
            numpy_helper.from_array(array, name)
            for name, array in {**constants, **floats}.items()
            if name in read
        ],
    )
    result = helper.make_model(out, opset_imports=model.opset_import)
    result.ir_version = model.ir_version
    onnx.checker.check_model(result)
    return result


def _float_matmul(
    node: Any,
    producer: dict[str, Any],
    readers: dict[str, list[Any]],
    constants: dict[str, np.ndarray],
    floats: dict[str, np.ndarray],
    dropped: set[int],
) -> Any:
    """``MatMul(x, W)`` in place of one ``MatMulInteger`` pattern (which is dropped)."""
    from onnx import helper

    quantised_x, weight, _, weight_zero = node.input
    quantise = producer[quantised_x]
    (cast,) = readers[node.output[0]]
    (rescale,) = readers[cast.output[0]]
    scales = producer[rescale.input[1]]
    if (quantise.op_type, cast.op_type, rescale.op_type, scales.op_type) != (
        "DynamicQuantizeLinear", "Cast", "Mul", "Mul"
    ):  # fmt: skip
        raise ValueError(f"{node.name}: not the dynamic quantisation pattern")
    weight_scale = next(i for i in scales.input if i in constants)
    name = f"{weight}_dequantised"
    floats[name] = (
        (constants[weight].astype(np.float32) - constants[weight_zero].astype(np.float32))
        * constants[weight_scale]
    ).astype(np.float32)
    dropped.update({id(node), id(cast), id(rescale), id(scales)})
    return helper.make_node(
        "MatMul", [quantise.input[0], name], [rescale.output[0]], name=node.name
    )


def _in_order(nodes: list[Any], available: set[str]) -> list[Any]:
    """``nodes`` sorted so each comes after the nodes whose outputs it reads."""
    ready, ordered, pending = set(available), [], nodes
    while pending:
        waiting = []
        for node in pending:
            if all(not name or name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                waiting.append(node)
        if len(waiting) == len(pending):
            raise ValueError("the graph has a cycle or an unknown input")
        pending = waiting
    return ordered
