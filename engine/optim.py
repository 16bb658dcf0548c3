"""SGD and Adam for the trainer, without torch.optim's import of torch._dynamo.

Every ``torch.optim.Optimizer`` imports ``torch._dynamo`` on first use (its constructor,
``zero_grad`` and ``step`` are wrapped for torch.compile): about 800 modules (sympy,
torch.fx, torch.distributed, ...), seconds of pure-Python work and several full garbage
collections, each holding the GIL for hundreds of ms, i.e. a GUI stall. The trainer never
compiles, so these two classes do the same arithmetic in the same order as torch.optim's
single-tensor path (the one it takes on the CPU), and give bit-identical weights there
(tests/test_optim.py checks it against torch.optim).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class _Optimizer:
    def __init__(self, params: Iterable[torch.Tensor]):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop the gradients (torch.optim's default, ``set_to_none=True``)."""
        if not set_to_none:
            raise ValueError("only set_to_none=True is supported")
        for p in self.params:
            p.grad = None

    def _with_grads(self):
        return [(i, p, p.grad) for i, p in enumerate(self.params) if p.grad is not None]


class SGD(_Optimizer):
    """torch.optim.SGD with ``momentum`` and ``weight_decay`` (no dampening, no Nesterov)."""

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.momentum_buffers: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        for i, p, grad in self._with_grads():
            if self.weight_decay != 0:
                grad = grad.add(p, alpha=self.weight_decay)
            if self.momentum != 0:
                buf = self.momentum_buffers[i]
                if buf is None:
                    buf = self.momentum_buffers[i] = grad.detach().clone()
                else:
                    buf.mul_(self.momentum).add_(grad, alpha=1)
                grad = buf
            p.add_(grad, alpha=-self.lr)


class Adam(_Optimizer):
    """torch.optim.Adam with L2 ``weight_decay`` (added to the gradient, not decoupled)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.steps = [0] * len(self.params)
        self.exp_avgs: list[torch.Tensor | None] = [None] * len(self.params)
        self.exp_avg_sqs: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for i, p, grad in self._with_grads():
            if self.exp_avgs[i] is None:
                self.exp_avgs[i] = torch.zeros_like(p, memory_format=torch.preserve_format)
                self.exp_avg_sqs[i] = torch.zeros_like(p, memory_format=torch.preserve_format)
            exp_avg, exp_avg_sq = self.exp_avgs[i], self.exp_avg_sqs[i]
            self.steps[i] += 1
            if self.weight_decay != 0:
                grad = grad.add(p, alpha=self.weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            # torch keeps the step count in a float tensor and reads it back as a float
            step = float(self.steps[i])
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = self.lr / bias_correction1
            denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(self.eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)
