"""Epoch times of a plain PyTorch MLP, for the training-speed study (TrainingSpeedStudy.cs).

Trains the same fixed-width MLP as the C# side on the same rows: Linear layers with ReLU6 between them, mean
cross-entropy, torch.optim.Adam (lr, betas 0.9/0.999, eps 1e-8, L2 weight decay equal to the weight prior's
1/(sigma^2 N)), shuffled mini-batches (one permutation per epoch, batches sliced from the permuted copy), no
per-batch .item(). Written the way a PyTorch user would write it, with the library's own modules and optimizer.

Reads the rows the C# program wrote (float32 features, row-major, then int64 labels) and prints one line of JSON:
{"torch": version, "blas": [libraries mapped], "threads": n, "epoch_ms": [wall], "epoch_cpu_ms": [thread CPU time],
"final_loss": x}. With one thread, every op (autograd's included) runs on the main thread, so its CPU time is the work
done, without the time spent waiting for a core on a shared machine.
Run with /usr/bin/python3 (Debian's python3-torch); OMP/OpenBLAS thread variables are set by the caller.
"""
import argparse
import json
import re
import time

import numpy as np
import torch
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="binary file: float32 features [rows x features], then int64 labels [rows]")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--features", type=int, required=True)
    parser.add_argument("--hidden", required=True, help="hidden widths, comma separated, e.g. 256,256")
    parser.add_argument("--classes", type=int, required=True)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    raw = np.fromfile(args.data, dtype=np.uint8)
    feature_bytes = args.rows * args.features * 4
    x = torch.from_numpy(raw[:feature_bytes].view(np.float32).reshape(args.rows, args.features).copy())
    y = torch.from_numpy(raw[feature_bytes:feature_bytes + args.rows * 8].view(np.int64).copy())

    layers = []
    fan_in = args.features
    for width in (int(w) for w in args.hidden.split(",")):
        layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU6()]
        fan_in = width
    layers.append(torch.nn.Linear(fan_in, args.classes))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    epoch_ms, epoch_cpu_ms = [], []
    loss_sum = torch.zeros(())
    for _ in range(args.epochs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        loss_sum = torch.zeros(())
        permutation = torch.randperm(args.rows)
        xs, ys = x[permutation], y[permutation]
        for begin in range(0, args.rows, args.batch):
            xb, yb = xs[begin:begin + args.batch], ys[begin:begin + args.batch]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * xb.shape[0]
        final_loss = float(loss_sum) / args.rows  # one read-back per epoch, as the C# loop does
        epoch_ms.append((time.perf_counter() - start) * 1000)
        epoch_cpu_ms.append((time.thread_time() - start_cpu) * 1000)

    with open("/proc/self/maps", encoding="utf-8") as maps:
        blas = sorted(set(re.findall(r"/\S*(?:blas|mkl)\S*\.so[.\d]*", maps.read())))
    print(json.dumps({
        "torch": torch.__version__,
        "blas": blas,
        "threads": torch.get_num_threads(),
        "epoch_ms": epoch_ms,
        "epoch_cpu_ms": epoch_cpu_ms,
        "final_loss": final_loss,
    }))


if __name__ == "__main__":
    main()
