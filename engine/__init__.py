"""ConvScope's engine: all computation, numpy and torch only (never Qt or pyqtgraph).

Modules
-------
errors      the one error family (``EngineError`` and subclasses); messages name layer + numbers
geometry    the book's size arithmetic: output lengths, 'same' padding, window and padded
            source positions (the one home of these formulas)
ops         fast torch-backed operations, torch.nn.functional's names and arguments, numpy in/out
reference   the same functions in numpy, written straight from the book's formulas
spec        ``LayerSpec`` / ``NetworkSpec`` / ``LAYER_TYPES``: plain data describing a network
layers      per layer type: validate, output shape, parameters, fully connected parameters,
            multiply-accumulates, per-axis receptive-field connectivity, forward
graph       ``plan`` (layers resolved into nodes) and ``walk`` (their shapes, in order): the
            graph walk ``network`` and ``receptive`` share
network     ``analyze`` (shapes, counts, errors per layer), ``forward`` (a ``Trace``, can start
            from any layer reusing an earlier trace), ``init_weights`` / ``reconcile_weights``
receptive   exact receptive fields through a whole network
explain     the arithmetic behind one output value (the probe), with the actual numbers
formulas    each layer type's general formula with a layer's numbers filled in (indices from 0)
linear_map  a linear layer as a matrix (rows = outputs, columns = inputs, no bias)
sampling    the sampling lab: down- and upsamplers side by side, checkerboard overlap,
            transposed convolution as C^T and as a zero-inserted convolution, 1x1 mixing
trace       ``Trace``: every layer's output, pooling indices, timings, errors
torch_build an ``nn.Module`` from a spec (for training), with weights in and out
codegen     standalone PyTorch source for a spec
serialize   versioned JSON for networks, weights as npz / safetensors, atomic writes
presets     the book's networks and teaching networks, by name
"""
