"""The plain-data wire between the grader and the confined kernel that holds a student's code.

Both sides import this one file: the grader as ``rnnbook.course.wire``; the kernel receives its
source text on the command line (``python -I -c``), because the kernel's view of the file system
does not contain ``rnnbook/course``.  Nothing here imports ``rnnbook`` when it is loaded
(:func:`refusing_gradients` imports the routines it blocks by name, when it starts).

Frames are an 8-byte length and a JSON object.  Values travel as plain data, never pickles:
numpy arrays as dtype, shape and the bytes of ``np.save(allow_pickle=False)``; torch tensors as
such an array plus dtype, device and ``requires_grad``; numpy Generators as their bit generator's
state; torch modules as their class (which the grader only accepts from ``torch`` or ``rnnbook``)
and their attributes, recursively; tuples, NamedTuples, lists and dicts recursively.  A callable
travels as a handle: calling it on the other side sends a ``call`` frame back.  An object sent
twice in one frame arrives as one object (a module's parameters stay shared, a list that holds
the same tensor twice still does).
"""

from __future__ import annotations

import base64
import builtins
import collections
import contextlib
import importlib
import io
import json
import os
import struct
import sys
import types
from collections.abc import Iterator

MAX_FRAME = 512 * 1024 * 1024  # a frame larger than this ends the conversation
_HEADER = struct.Struct("!Q")
TRUSTED_MODULES = ("torch", "rnnbook", "numpy", "collections")


class WireError(Exception):
    """A frame that is not what the protocol allows (too large, not JSON, an unknown type)."""


def write_frame(fd: int, obj) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    data = _HEADER.pack(len(data)) + data
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int, wait=None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if wait is not None:
            wait()
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, wait=None, max_frame: int = MAX_FRAME):
    """Read one frame; ``wait()`` is called before each read (the grader's deadline check)."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, wait))
    if size > max_frame:
        raise WireError(f"a frame of {size} bytes is over the limit of {max_frame}")
    try:
        return json.loads(_read_exact(fd, size, wait))
    except ValueError as err:
        raise WireError(f"a frame that is not JSON: {err}") from None


def _qualname(cls) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_class(path: str, trusted: bool):
    module, _, qual = path.partition(":")
    if trusted and module.split(".")[0] not in TRUSTED_MODULES:
        raise WireError(f"refusing to build an object of class {path}")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


class Codec:
    """Encodes and decodes values; ``handles`` keeps the callables this side lent out."""

    def __init__(self, trusted_side: bool):
        # the grader is the trusted side: it builds only classes from TRUSTED_MODULES
        self.trusted_side = trusted_side
        self.handles: dict[int, object] = {}
        self.remote_callable = None  # set by the owner: handle -> a callable proxy
        # a module class the other side cannot import is sent as its base class, and the
        # receiver records the device and dtype of each input in ``module.seen``
        self.module_alias = None

    # ---- encoding ----
    def encode(self, value, memo=None):
        memo = {} if memo is None else memo
        return self._enc(value, memo)

    def _enc(self, v, memo):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v if abs(v) < 2**53 else {"__int__": str(v)}
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                return {"__float__": repr(v)}
            return v
        if isinstance(v, complex):
            return {"__complex__": [v.real, v.imag]}
        key = id(v)
        if key in memo:
            return {"__ref__": memo[key][0]}
        np = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        if np is not None and isinstance(v, np.generic):
            return {"__npscalar__": self._array(np.asarray(v))}
        ref = len(memo)
        memo[key] = (ref, v)  # keep v alive so that its id is not reused
        out = self._enc_object(v, memo, np, torch)
        out["__id__"] = ref
        return out

    def _array(self, arr):
        np = sys.modules["numpy"]
        if arr.dtype.hasobject:
            raise WireError("an array of Python objects cannot be sent as plain data")
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        return base64.b64encode(buf.getvalue()).decode()

    def _enc_object(self, v, memo, np, torch):
        if np is not None and isinstance(v, np.ndarray):
            return {"__ndarray__": self._array(v)}
        if np is not None and isinstance(v, np.dtype):
            return {"__npdtype__": v.str}
        if np is not None and isinstance(v, np.random.Generator):
            bg = v.bit_generator
            return {"__generator__": type(bg).__name__, "state": self._enc(bg.state, {})}
        if torch is not None:
            if isinstance(v, torch.nn.Parameter):
                return {"__param__": self._tensor(v, torch), "rg": v.requires_grad}
            if isinstance(v, torch.Tensor):
                return {"__tensor__": self._tensor(v, torch), "rg": v.requires_grad}
            if isinstance(v, torch.dtype):
                return {"__torch_dtype__": str(v).removeprefix("torch.")}
            if isinstance(v, torch.device):
                return {"__torch_device__": str(v)}
            if isinstance(v, torch.nn.Module):
                state = {}
                for k, x in v.__dict__.items():
                    if k == "_flat_weight_refs":
                        continue  # rebuilt by the receiving side
                    if k.endswith("hooks") or k.endswith("hooks_with_kwargs"):
                        x = collections.OrderedDict()  # hooks stay on their own side
                    elif k.endswith("hooks_always_called"):
                        x = collections.OrderedDict()
                    state[k] = self._enc(x, memo)
                cls, spy = type(v), False
                while self.module_alias and self.module_alias(cls):
                    cls, spy = cls.__mro__[1], True
                return {"__module__": _qualname(cls), "state": state, "spy": spy}
        if isinstance(v, tuple) and hasattr(type(v), "_fields"):
            return {
                "__namedtuple__": _qualname(type(v)),
                "fields": list(type(v)._fields),
                "items": [self._enc(x, memo) for x in v],
            }
        if isinstance(v, tuple):
            return {"__tuple__": [self._enc(x, memo) for x in v]}
        if isinstance(v, list):
            return {"__list__": [self._enc(x, memo) for x in v]}
        if isinstance(v, (set, frozenset)):
            return {"__set__": [self._enc(x, memo) for x in v]}
        if isinstance(v, dict):
            ordered = isinstance(v, collections.OrderedDict)
            return {
                "__dict__": [[self._enc(k, memo), self._enc(x, memo)] for k, x in v.items()],
                "ordered": ordered,
            }
        if isinstance(v, (bytes, bytearray)):
            return {"__bytes__": base64.b64encode(bytes(v)).decode()}
        if isinstance(v, slice):
            return {"__slice__": [self._enc(x, memo) for x in (v.start, v.stop, v.step)]}
        if v is Ellipsis:
            return {"__ellipsis__": True}
        if getattr(v, "_wire_handle", None) is not None:
            return {"__handle__": int(v._wire_handle)}  # the other side's own callable
        if callable(v):
            handle = len(self.handles) + 1
            while handle in self.handles:
                handle += 1
            self.handles[handle] = v
            return {"__callable__": handle, "name": getattr(v, "__name__", "function")}
        raise WireError(f"a value of type {type(v).__name__} cannot be sent as plain data")

    def _tensor(self, t, torch):
        t = t.detach()
        info = {"dtype": str(t.dtype).removeprefix("torch."), "device": t.device.type}
        info["shape"] = list(t.shape)
        if t.device.type == "meta":
            return info
        cpu = t.cpu()
        if cpu.dtype == torch.bfloat16:
            cpu = cpu.float()
        info["data"] = self._array(cpu.resolve_conj().resolve_neg().numpy())
        return info

    # ---- decoding ----
    def decode(self, obj, memo=None):
        return self._dec(obj, {} if memo is None else memo)

    def _dec(self, o, memo):
        if not isinstance(o, dict):
            if isinstance(o, list):
                raise WireError("a bare JSON list on the wire")
            return o
        if "__ref__" in o:
            return memo[o["__ref__"]]
        if "__int__" in o:
            return int(o["__int__"])
        if "__float__" in o:
            return float(o["__float__"])
        if "__complex__" in o:
            return complex(*o["__complex__"])
        if "__npscalar__" in o:
            return self._unarray(o["__npscalar__"])[()]
        ref = o.get("__id__")
        value = self._dec_object(o, memo, ref)
        if ref is not None:
            memo[ref] = value
        return value

    def _unarray(self, text):
        import numpy as np

        return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)

    def _dec_object(self, o, memo, ref):
        if "__ndarray__" in o:
            return self._unarray(o["__ndarray__"])
        if "__npdtype__" in o:
            import numpy as np

            return np.dtype(o["__npdtype__"])
        if "__generator__" in o:
            import numpy as np

            bits = getattr(np.random, o["__generator__"], None)
            if not (isinstance(bits, type) and issubclass(bits, np.random.BitGenerator)):
                raise WireError(f"unknown bit generator {o['__generator__']!r}")
            gen = np.random.Generator(bits())
            gen.bit_generator.state = self._dec(o["state"], {})
            return gen
        if "__tensor__" in o or "__param__" in o:
            import torch

            t = self._untensor(o.get("__tensor__") or o["__param__"], torch)
            if "__param__" in o:
                return torch.nn.Parameter(t, requires_grad=bool(o["rg"]))
            return t.requires_grad_(bool(o["rg"])) if t.is_floating_point() else t
        if "__torch_dtype__" in o:
            import torch

            dtype = getattr(torch, o["__torch_dtype__"], None)
            if not isinstance(dtype, torch.dtype):
                raise WireError(f"unknown torch dtype {o['__torch_dtype__']!r}")
            return dtype
        if "__torch_device__" in o:
            import torch

            return torch.device(o["__torch_device__"])
        if "__module__" in o:
            import torch

            cls = _import_class(o["__module__"], self.trusted_side)
            if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
                raise WireError(f"{o['__module__']} is not a torch module")
            module = cls.__new__(cls)
            memo[ref] = module
            state = {k: self._dec(x, memo) for k, x in o["state"].items()}
            module.__setstate__(state)
            if o.get("spy") and not self.trusted_side:

                def spy(mod, inputs):
                    x = inputs[0] if inputs else None
                    mod.seen = (getattr(x, "device", None), getattr(x, "dtype", None))

                module.register_forward_pre_hook(spy)
            return module
        if "__namedtuple__" in o:
            items = [self._dec(x, memo) for x in o["items"]]
            try:
                cls = _import_class(o["__namedtuple__"], True)
                if not (isinstance(cls, type) and issubclass(cls, tuple)):
                    raise WireError("not a tuple")
            except Exception:
                cls = collections.namedtuple("StudentTuple", o["fields"], rename=True)
            return cls(*items)
        if "__tuple__" in o:
            return tuple(self._dec(x, memo) for x in o["__tuple__"])
        if "__list__" in o:
            out = []
            memo[ref] = out
            out.extend(self._dec(x, memo) for x in o["__list__"])
            return out
        if "__set__" in o:
            return {self._dec(x, memo) for x in o["__set__"]}
        if "__dict__" in o:
            out = collections.OrderedDict() if o.get("ordered") else {}
            memo[ref] = out
            for k, x in o["__dict__"]:
                out[self._dec(k, memo)] = self._dec(x, memo)
            return out
        if "__bytes__" in o:
            return base64.b64decode(o["__bytes__"])
        if "__slice__" in o:
            return slice(*(self._dec(x, memo) for x in o["__slice__"]))
        if "__ellipsis__" in o:
            return Ellipsis
        if "__handle__" in o:
            if int(o["__handle__"]) not in self.handles:
                raise WireError("a handle this side never lent")
            return self.handles[int(o["__handle__"])]
        if "__callable__" in o:
            return self.remote_callable(int(o["__callable__"]), str(o.get("name", "function")))
        raise WireError(f"unknown value on the wire: {sorted(o)[:3]}")

    def _untensor(self, info, torch):
        dtype = getattr(torch, info["dtype"], None)
        if not isinstance(dtype, torch.dtype):
            raise WireError(f"unknown torch dtype {info['dtype']!r}")
        if info["device"] == "meta" or "data" not in info:
            return torch.empty(info["shape"], dtype=dtype, device="meta")
        arr = self._unarray(info["data"])
        return torch.from_numpy(arr.copy()).to(dtype)


# ----------------------------------------------------------------------------------------------
# derive exercises: the library's gradient code and torch's autodiff refuse to run
# ----------------------------------------------------------------------------------------------

LIBRARY_GRADIENT_ROUTINES: tuple[tuple[str, str], ...] = (
    ("rnnbook.cells", "softmax_cross_entropy"),
    ("rnnbook.cells", "_softmax_backward"),
    ("rnnbook.cells", "output_backward"),
    ("rnnbook.cells", "embedding_backward"),
    ("rnnbook.cells", "Cell.backward"),
    ("rnnbook.cells", "Cell.hidden_grad"),
    ("rnnbook.cells", "ElmanCell.backward"),
    ("rnnbook.cells", "JordanCell.backward"),
    ("rnnbook.cells", "JordanCell.hidden_grad"),
    ("rnnbook.cells", "JordanCell._feed_backward"),
    ("rnnbook.cells", "LSTMCell.backward"),
    ("rnnbook.cells", "GRUCell.backward"),
    ("rnnbook.bptt", "elman_bptt"),
    ("rnnbook.bptt", "sequence_loss_and_grads"),
    ("rnnbook.bptt", "_Sweep.run"),
    ("rnnbook.bptt", "hidden_jacobians"),
    ("rnnbook.bptt", "jacobian_norms_by_lag"),
    ("rnnbook.gradcheck", "numerical_grads"),
    ("rnnbook.gradcheck", "grad_check"),
    ("rnnbook.torch_cells", "LSTMScanBPTT.backward"),
    ("rnnbook.topics.expression_graph", "unbroadcast"),
    ("rnnbook.topics.expression_graph", "matmul_backward"),
    ("rnnbook.topics.expression_graph", "add_backward"),
    ("rnnbook.topics.expression_graph", "mul_backward"),
    ("rnnbook.topics.expression_graph", "dot_backward"),
    ("rnnbook.topics.expression_graph", "sigmoid_backward"),
    ("rnnbook.topics.expression_graph", "tanh_backward"),
    ("rnnbook.topics.expression_graph", "relu_backward"),
    ("rnnbook.topics.expression_graph", "log_backward"),
    ("rnnbook.topics.expression_graph", "square_backward"),
    ("rnnbook.topics.expression_graph", "sum_backward"),
    ("rnnbook.topics.expression_graph", "transpose_backward"),
    ("rnnbook.topics.expression_graph", "ExpressionGraph.backward"),
    ("rnnbook.topics.numpy_lm", "NumpyRNNLM.loss_and_grads"),
    ("rnnbook.topics.gradient_cliff", "CliffSurface.grad"),
)
"""The library's gradient code, as ``(module, attribute)``: each backward pass, BPTT, Jacobian,
finite-difference gradient and loss-with-its-gradient of ``rnnbook`` outside ``rnnbook.course``.
:func:`refusing_gradients` blocks every one of them (imported by name when it starts: this
module imports nothing of ``rnnbook`` at import time)."""

TORCH_AUTODIFF_ROUTINES: tuple[tuple[str, str, str], ...] = (
    ("torch.Tensor.backward", "torch._tensor", "Tensor.backward"),
    ("torch.autograd.backward", "torch.autograd", "backward"),
    ("torch.autograd.grad", "torch.autograd", "grad"),
    ("torch.autograd.functional.vjp", "torch.autograd.functional", "vjp"),
    ("torch.autograd.functional.jvp", "torch.autograd.functional", "jvp"),
    ("torch.autograd.functional.jacobian", "torch.autograd.functional", "jacobian"),
    ("torch.autograd.functional.hessian", "torch.autograd.functional", "hessian"),
    ("torch.autograd.functional.hvp", "torch.autograd.functional", "hvp"),
    ("torch.autograd.functional.vhp", "torch.autograd.functional", "vhp"),
    ("torch.autograd.forward_ad.make_dual", "torch.autograd.forward_ad", "make_dual"),
    ("torch.func.grad", "torch._functorch.apis", "grad"),
    ("torch.func.grad_and_value", "torch._functorch.apis", "grad_and_value"),
    ("torch.func.vjp", "torch._functorch.eager_transforms", "vjp"),
    ("torch.func.jvp", "torch._functorch.eager_transforms", "jvp"),
    ("torch.func.jacrev", "torch._functorch.eager_transforms", "jacrev"),
    ("torch.func.jacfwd", "torch._functorch.eager_transforms", "jacfwd"),
    ("torch.func.hessian", "torch._functorch.eager_transforms", "hessian"),
    ("torch.func.linearize", "torch._functorch.eager_transforms", "linearize"),
    # the engine entry every reverse-mode route above ends in (backward, grad, torch.func's
    # grad and vjp, torch.autograd.functional): blocked too, should a route not listed reach it
    ("torch's autograd engine", "torch.autograd.graph", "_engine_run_backward"),
)
"""torch's automatic differentiation, as ``(name shown, module, attribute)``."""

_guard_stack: list[tuple[str, type]] = []  # (student function, error class), innermost last
_guard_saved: list[tuple[types.FunctionType, types.CodeType]] = []  # what to put back
_guard_engine: list[tuple[type, object]] = []  # torch's engine object, while replaced
_refusing_codes: dict[tuple[str, str], types.CodeType] = {}


def guard_label() -> str | None:
    """The student function that :func:`refusing_gradients` guards now (innermost), or None."""
    return _guard_stack[-1][0] if _guard_stack else None


def refusal(routine: str, kind: str) -> BaseException:
    """The error a blocked routine raises: which routine was called, and why not."""
    label, error = _guard_stack[-1] if _guard_stack else ("your function", AssertionError)
    what = (
        "torch's automatic differentiation"
        if kind == "torch"
        else "the library's own gradient code"
    )
    return error(
        f"{label} calls {routine}, {what}: this exercise asks you to derive the gradients "
        "yourself (work the chain rule out by hand and write it in numpy)"
    )


def _refusing_code(routine: str, kind: str) -> types.CodeType:
    """The code of a function that raises :func:`refusal` for ``routine``, whatever its arguments.

    It replaces a routine's ``__code__`` (below), so it runs with that routine's module globals:
    it finds this module as ``sys.modules["rnnbook.course.wire"]`` (where the kernel registers
    it too, see :func:`_kernel_entry`) and holds the routine's name as a constant.
    """
    key = (routine, kind)
    if key not in _refusing_codes:
        source = (
            "def refused(*args, **kwargs):\n"
            "    raise __import__('sys').modules['rnnbook.course.wire']"
            f".refusal({routine!r}, {kind!r})\n"
        )
        namespace: dict = {}
        exec(compile(source, f"<own_gradients: {routine}>", "exec"), namespace)
        _refusing_codes[key] = namespace["refused"].__code__
    return _refusing_codes[key]


def _resolve(module: str, attribute: str) -> types.FunctionType | None:
    """The function ``module.attribute`` (``attribute`` may be ``Class.method``), or None when
    the module cannot be imported here (torch missing, or ``rnnbook.topics`` out of view)."""
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return None
    for part in attribute.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, types.FunctionType):
        raise TypeError(f"{module}.{attribute} is a {type(obj).__name__}, not a Python function")
    return obj


class _RefusingEngine:
    """Stands in for torch's C++ autograd engine: ``run_backward`` refuses, the rest passes on."""

    def __init__(self, engine):
        self._engine = engine

    def run_backward(self, *args, **kwargs):
        raise refusal("torch's autograd engine", "torch")

    def __getattr__(self, name):
        return getattr(self._engine, name)


def _block_all() -> None:
    """Swap every routine's code for a refusing one; keep what is needed to put it back."""
    targets = [
        (f"{module}.{attribute}", "library", module, attribute)
        for module, attribute in LIBRARY_GRADIENT_ROUTINES
    ]
    targets += [(shown, "torch", module, attr) for shown, module, attr in TORCH_AUTODIFF_ROUTINES]
    for routine, kind, module, attribute in targets:
        try:
            fn = _resolve(module, attribute)
        except (AttributeError, TypeError):
            if kind == "library":
                raise  # the library list must match the library (tests/test_own_gradients.py)
            fn = None  # a torch release without this name: the engine still refuses
        if fn is not None:
            code = fn.__code__
            fn.__code__ = _refusing_code(routine, kind)
            _guard_saved.append((fn, code))
    try:
        from torch.autograd.variable import Variable
    except ImportError:
        return
    _guard_engine.append((Variable, Variable._execution_engine))
    Variable._execution_engine = _RefusingEngine(Variable._execution_engine)


def _restore_all() -> None:
    """Put back every routine's own code and torch's engine (the reverse of :func:`_block_all`)."""
    while _guard_engine:
        holder, engine = _guard_engine.pop()
        holder._execution_engine = engine
    while _guard_saved:
        fn, code = _guard_saved.pop()
        fn.__code__ = code


@contextlib.contextmanager
def refusing_gradients(label: str, error: type = AssertionError) -> Iterator[None]:
    """While the body runs, every routine of :data:`LIBRARY_GRADIENT_ROUTINES` and
    :data:`TORCH_AUTODIFF_ROUTINES` raises ``error`` naming ``label`` and itself.

    ``rnnbook.course.checks.own_gradients`` is this with ``CheckFailed`` (its docstring says
    what is blocked and how); the kernel runs a call inside it when the grader's call was (the
    ``own_gradients`` entry of a ``call`` frame). Restored on exit, also after an exception;
    nested, only the outermost entry blocks and restores.
    """
    outermost = not _guard_stack
    _guard_stack.append((label, error))
    try:
        if outermost:
            _block_all()
        yield
    finally:
        _guard_stack.pop()
        if outermost:
            _restore_all()


def error_frame(err: BaseException) -> dict:
    """An exception as plain data: its class names (most derived first) and its message."""
    names = [c.__name__ for c in type(err).__mro__]
    text = str(err)
    if len(text) > 4000:
        text = text[:4000] + "…"
    return {"error": {"types": names, "message": text}}


def builtin_exception(types: list[str]):
    """The first built-in exception class among ``types`` that is an ``Exception``."""
    for name in types:
        cls = getattr(builtins, name, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls
    return Exception


# --------------------------------------------------------------------------------------------
# The kernel side: run as ``python -I -c <this file's source>`` with the protocol on fds 3, 4.
# --------------------------------------------------------------------------------------------


def kernel_main(read_fd: int, write_fd: int) -> None:  # pragma: no cover - runs in the kernel
    import threading

    codec = Codec(trusted_side=False)
    objects: dict[int, object] = {}  # results kept for remote backward

    class CheckFailed(AssertionError):
        """What a blocked gradient routine raises here; the grader turns it into its own."""

    class Callback:
        """A callable the grader lent: calling it asks the grader to call its own function."""

        def __init__(self, handle, name):
            self.handle, self.__name__ = handle, name
            self._wire_handle = handle

        def __call__(self, *args, **kwargs):
            write_frame(
                write_fd,
                {
                    "op": "callback",
                    "handle": self.handle,
                    "args": codec.encode(args),
                    "kwargs": codec.encode(kwargs),
                    "rng": _torch_rng(),
                },
            )
            return serve(until_result=True)

    codec.remote_callable = Callback

    rng_sync = RngSync(codec)
    _torch_rng, _set_torch_rng = rng_sync.outgoing, rng_sync.incoming

    shell_holder = {}

    def shell():
        if "shell" not in shell_holder:
            from IPython.core.interactiveshell import InteractiveShell

            shell_holder["shell"] = InteractiveShell.instance()
        return shell_holder["shell"]

    def run_cell(source):
        sh = shell()
        result = sh.run_cell(source, store_history=False, silent=False)
        err = result.error_before_exec or result.error_in_exec
        if err is None:
            return {"ok": True}
        return error_frame(err)

    def describe(name):
        ns = shell().user_ns
        if name not in ns or name.startswith("__"):
            return {"missing": True}
        value = ns[name]
        if callable(value) and not isinstance(value, type):
            return {"callable": True}
        try:
            return {"value": codec.encode(value)}
        except Exception as err:
            return error_frame(err)

    def call(msg):
        fn = shell().user_ns.get(msg["name"])
        if not callable(fn):
            return {"error": {"types": ["NameError"], "message": f"{msg['name']} is undefined"}}
        memo: dict = {}
        args = codec.decode(msg["args"], memo)
        kwargs = codec.decode(msg["kwargs"], memo)
        _set_torch_rng(msg.get("rng"))
        label = msg.get("own_gradients")  # a derive exercise: the gradients must be their own
        guard = (
            refusing_gradients(label, CheckFailed)
            if isinstance(label, str)
            else contextlib.nullcontext()
        )
        try:
            with guard:
                result = fn(*args, **kwargs)
        except BaseException as err:  # the student's error goes back as data
            return error_frame(err)
        arg_ids = {id(a): i for i, a in enumerate(args)}
        torch = sys.modules.get("torch")
        grads = []
        if torch is not None:
            # tensors that carry a graph back to a module argument's parameters
            for t in tensors_in(result, torch):
                if t.requires_grad and t.grad_fn is not None:
                    objects[id(t)] = (t, args)
                    grads.append(id(t))
        reply = {
            "ok": True,
            "rng": _torch_rng(),
            "args_after": codec.encode(list(args)),
            "graph": grads,
        }
        if id(result) in arg_ids:
            reply["same_as_arg"] = arg_ids[id(result)]
        else:
            reply["result"] = codec.encode(result)
            reply["tensor_ids"] = [id(t) for t in tensors_in(result, torch)] if torch else []
        return reply

    def backward(msg):
        import torch

        t, args = objects[msg["tensor"]]
        params = [p for a in args if isinstance(a, torch.nn.Module) for p in a.parameters()]
        grad = codec.decode(msg["grad"])
        grads = torch.autograd.grad(t, params, grad, retain_graph=True, allow_unused=True)
        return {"ok": True, "grads": codec.encode(list(grads))}

    def serve(until_result=False):
        while True:
            msg = read_frame(read_fd)
            op = msg.get("op")
            if op == "result":
                if "error" in msg:
                    cls = builtin_exception(msg["error"]["types"])
                    raise cls(msg["error"]["message"])
                _set_torch_rng(msg.get("rng"))
                return codec.decode(msg["value"])
            try:
                if op == "run":
                    reply = run_cell(msg["source"])
                elif op == "describe":
                    reply = describe(msg["name"])
                elif op == "call":
                    reply = call(msg)
                elif op == "backward":
                    reply = backward(msg)
                elif op == "bye":
                    return None
                else:
                    reply = {"error": {"types": ["ValueError"], "message": f"unknown op {op}"}}
            except BaseException as err:
                reply = error_frame(err)
            reply["op"] = "reply"
            try:
                write_frame(write_fd, reply)
            except Exception as err:
                write_frame(write_fd, dict(error_frame(err), op="reply"))
            if not until_result and op == "bye":
                return None

    threading.excepthook = lambda args: None
    # IPython's start-up and the setup cell's imports are not charged to the first cell's limit
    shell()
    for name in filter(None, os.environ.pop("RNNBOOK_PRELOAD", "").split(",")):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    write_frame(write_fd, {"op": "ready", "pid": os.getpid()})
    serve()


class RngSync:
    """torch's global generator, shared by the two sides: a state travels only when it changed.

    Only a side that has imported torch takes part.
    """

    def __init__(self, codec: Codec):
        self.codec, self.last = codec, None

    def outgoing(self):
        torch = sys.modules.get("torch")
        if torch is None:
            return None
        state = torch.get_rng_state()
        raw = state.numpy().tobytes()
        if raw == self.last:
            return None
        self.last = raw
        return self.codec.encode(state)

    def incoming(self, state) -> None:
        torch = sys.modules.get("torch")
        if state is None or torch is None:
            return
        state = self.codec.decode(state)
        torch.set_rng_state(state)
        self.last = state.numpy().tobytes()


def tensors_in(value, torch, seen=None):
    """Every torch tensor inside ``value`` (nested lists, tuples and dicts), each once."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for x in value for t in tensors_in(x, torch, seen)]
    if isinstance(value, dict):
        return [t for x in value.values() for t in tensors_in(x, torch, seen)]
    return []


def _kernel_entry():  # pragma: no cover - runs in the kernel
    read_fd, write_fd = int(os.environ["RNNBOOK_WIRE_IN"]), int(os.environ["RNNBOOK_WIRE_OUT"])
    # the student's prints go nowhere: flooding cannot hide or delay anything
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)
    for name in ("RNNBOOK_WIRE_IN", "RNNBOOK_WIRE_OUT"):
        os.environ.pop(name, None)
    # the blocked gradient routines find refusing_gradients' state under this name (IPython
    # takes over "__main__", the name this file runs under here)
    sys.modules["rnnbook.course.wire"] = sys.modules[__name__]
    _install_course_stub()
    kernel_main(read_fd, write_fd)
    os._exit(0)


def _install_course_stub():  # pragma: no cover - runs in the kernel
    """``rnnbook.course`` is not in the kernel's view; its imports get an inert stand-in."""
    import types

    class _Absent(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            if name == "hint":  # a hint asked for in an answer cell: shown already, no answer
                return lambda *args, **kwargs: None
            if name in {"checks", "hints"} or (name[:2] == "nb" and name[2:].isdigit()):
                import importlib

                return importlib.import_module(f"{self.__name__}.{name}")  # a stub submodule

            def absent(*args, **kwargs):
                raise RuntimeError(
                    f"{self.__name__}.{name} is not available while grading: the grader runs "
                    "the checks itself"
                )

            return absent

    class _Finder:
        @staticmethod
        def find_spec(fullname, path=None, target=None):
            if fullname == "rnnbook.course" or fullname.startswith("rnnbook.course."):
                import importlib.machinery

                return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
            return None

    class _Loader:
        @staticmethod
        def create_module(spec):
            module = _Absent(spec.name)
            module.__path__ = []
            return module

        @staticmethod
        def exec_module(module):
            return None

    sys.meta_path.insert(0, _Finder())


if __name__ == "__main__" and os.environ.get("RNNBOOK_WIRE_IN"):  # pragma: no cover
    _kernel_entry()
