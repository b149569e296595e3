#!/usr/bin/env python3
"""The benchmark's models trained natively in PyTorch on the CPU: the `torch` column.

Plain PyTorch (no other ML library, no NumPy): reads MNIST's IDX .gz files, trains one of
the assignment's models with the seed notebook's hyper-parameters (bench/README.md's table,
Keras' defaults: Glorot-uniform kernels, zero biases, shuffling every epoch) and writes
every epoch's time, split into training and validation, to a JSON file:

    python bench/torch/train.py --model p2 --epochs 1 --train-size 60000 --seed 1 \
        --data assets/mnist --json /tmp/p2.json

One epoch is training on the first N training images plus validation (forward only) on
all 10,000 test images, as in every other column. Threads: torch's default (one per
physical core), unless --threads says otherwise.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time
import warnings

# The wheel's NumPy bridge is not used; torch warns once at import when NumPy is absent.
warnings.filterwarnings('ignore', message='Failed to initialize NumPy')
import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TEST_IMAGES = 10_000
NOISE_LEVEL = 0.4

# (optimizer, learning rate, batch size) per model, as bench/README.md's table says.
HYPER = {
    'p2': ('sgd', 0.1, 128),
    'p2d': ('sgd', 0.1, 128),
    'p3': ('sgd', 0.1, 128),
    'p4': ('adam', 1e-3, 64),
}
P2D_L2 = 1e-4


def read_idx(path):
    """An IDX file (gzipped) as a uint8 tensor of its stated shape."""
    with gzip.open(path, 'rb') as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    dims = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    body = bytearray(data[4 + 4 * ndim:])
    return torch.frombuffer(body, dtype=torch.uint8).reshape(dims).clone()


def load_mnist(directory):
    def split(prefix):
        images = read_idx(os.path.join(directory, f'{prefix}-images-idx3-ubyte.gz'))
        labels = read_idx(os.path.join(directory, f'{prefix}-labels-idx1-ubyte.gz'))
        return images.reshape(images.shape[0], -1), labels.long()
    return split('train'), split('t10k')


def salt_and_pepper(pixels, level, generator):
    """The seed's noise on uint8 pixels: each kept with p = 1 - level, else white (255) or
    black (0) with p = 1/2 each."""
    keep = torch.rand(pixels.shape, generator=generator) < (1.0 - level)
    white = torch.rand(pixels.shape, generator=generator) < 0.5
    noise = torch.where(white, torch.tensor(255, dtype=torch.uint8), torch.tensor(0, dtype=torch.uint8))
    return torch.where(keep, pixels, noise)


def glorot(module):
    """Keras' defaults: Glorot-uniform kernels (fan_in/out include the 3x3 receptive field
    for convolutions, as Keras' do), zero biases."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


def mlp(widths):
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def build(model):
    """The network, and the kernels that carry Keras' l2 regularizer (P2D's hidden layers)."""
    if model == 'p2':
        return mlp([784, 64, 64, 10]), []
    if model == 'p2d':
        net = mlp([784, 500, 300, 10])
        return net, [net[0].weight, net[2].weight]
    if model == 'p3':
        net = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),   # [B, 32, 13, 13]
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),  # [B, 64, 5, 5]
            nn.Flatten(),
            nn.Linear(64 * 5 * 5, 200), nn.ReLU(),
            nn.Linear(200, 128), nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )
        return net, []
    if model == 'p4':
        # 784 -> 128 ReLU -> 96 ReLU (the code) -> 128 ReLU -> 784 (sigmoid in the loss).
        return mlp([784, 128, 96, 128, 784]), []
    raise ValueError(f'unknown model {model}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--model', required=True, choices=sorted(HYPER))
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--train-size', type=int, default=60_000)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--data', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../assets/mnist'))
    parser.add_argument('--json', required=True, help='where to write the result')
    parser.add_argument('--eval-batch', type=int, default=0,
                        help="validation batch size (0: the model's training batch size, as Keras' fit validates)")
    parser.add_argument('--threads', type=int, default=0, help='torch.set_num_threads (0: torch\'s default)')
    args = parser.parse_args()
    if args.epochs < 1 or not 1 <= args.train_size <= 60_000:
        parser.error('--epochs must be >= 1 and --train-size in 1..60000')
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    (train_px, train_y), (test_px, test_y) = load_mnist(args.data)
    train_px, train_y = train_px[:args.train_size], train_y[:args.train_size]
    test_px, test_y = test_px[:TEST_IMAGES], test_y[:TEST_IMAGES]
    autoencoder = args.model == 'p4'
    if autoencoder:
        # Noised once before training (train and test), as the app does; clean targets.
        gen = torch.Generator().manual_seed(args.seed)
        x_train = salt_and_pepper(train_px, NOISE_LEVEL, gen).float() / 255
        x_test = salt_and_pepper(test_px, NOISE_LEVEL, gen).float() / 255
        t_train, t_test = train_px.float() / 255, test_px.float() / 255
    else:
        x_train, x_test = train_px.float() / 255, test_px.float() / 255
        t_train, t_test = train_y, test_y

    net, regularized = build(args.model)
    net.apply(glorot)
    kind, lr, batch = HYPER[args.model]
    eval_batch = args.eval_batch or batch
    if kind == 'sgd':
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    else:
        # Keras' Adam defaults (epsilon 1e-7, not torch's 1e-8).
        optimizer = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-7)

    def loss_of(out, target):
        if autoencoder:
            # Binary cross-entropy of sigmoid(out), in its stable form, mean over pixels.
            return F.binary_cross_entropy_with_logits(out, target)
        loss = F.cross_entropy(out, target)
        if regularized:
            # Keras' l2(f): f * sum(w^2), optimised and reported (validation too).
            loss = loss + P2D_L2 * sum((w * w).sum() for w in regularized)
        return loss

    history = []
    n = x_train.shape[0]
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        net.train()
        order = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            x, t = x_train[idx], t_train[idx]
            out = net(x)
            loss = loss_of(out, t)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * idx.shape[0]
            if not autoencoder:
                correct += (out.argmax(1) == t).sum().item()
        trained = time.perf_counter()

        net.eval()
        val_sum, val_correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, x_test.shape[0], eval_batch):
                x, t = x_test[start:start + eval_batch], t_test[start:start + eval_batch]
                out = net(x)
                val_sum += loss_of(out, t).item() * x.shape[0]
                if not autoencoder:
                    val_correct += (out.argmax(1) == t).sum().item()
        ended = time.perf_counter()

        m = x_test.shape[0]
        history.append({
            'epoch': epoch,
            'seconds': ended - started,
            'train_seconds': trained - started,
            'loss': loss_sum / n,
            'accuracy': None if autoencoder else correct / n,
            'val_loss': val_sum / m,
            'val_accuracy': None if autoencoder else val_correct / m,
        })
        h = history[-1]
        acc = '' if autoencoder else f" - accuracy {h['accuracy']:.4f} - val_accuracy {h['val_accuracy']:.4f}"
        print(f"epoch {epoch}/{args.epochs}: {h['seconds']:.2f} s ({h['train_seconds']:.2f} s training) - "
              f"loss {h['loss']:.4f} - val_loss {h['val_loss']:.4f}{acc}", file=sys.stderr)

    result = {
        'model': args.model,
        'train_size': n,
        'seed': args.seed,
        'history': history,
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
    }
    with open(args.json, 'w') as f:
        json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
