//! Times the first dense layer's matmuls in each operand layout on burn's wgpu runtime.
use std::time::Instant;
use mnist_lab::burn::tensor::{Device, Distribution, Tensor};

fn time(name: &str, device: &Device, f: impl Fn() -> Tensor<2>) {
    for _ in 0..3 { let _ = f(); }
    device.sync().expect("sync");
    let n = 20;
    let start = Instant::now();
    let mut last = None;
    for _ in 0..n { last = Some(f()); }
    device.sync().expect("sync");
    let ms = start.elapsed().as_secs_f64() * 1e3 / n as f64;
    let dims = last.map(|t| t.dims()).unwrap_or([0, 0]);
    println!("{name:40} {ms:8.2} ms  out {dims:?}");
}

fn main() {
    let (device, _setup) = Device::wgpu_options().init_with_setup().expect("adapter");
    let (m, k, n) = (128usize, 784usize, 64usize);
    let x = Tensor::<2>::random([m, k], Distribution::Default, &device);
    let w = Tensor::<2>::random([k, n], Distribution::Default, &device);
    let wt = Tensor::<2>::random([n, k], Distribution::Default, &device);
    let dy = Tensor::<2>::random([m, n], Distribution::Default, &device);
    let dyt = Tensor::<2>::random([n, m], Distribution::Default, &device);
    let xt = Tensor::<2>::random([k, m], Distribution::Default, &device);
    time("fwd NN x[128,784]·W[784,64]", &device, || x.clone().matmul(w.clone()));
    time("fwd NT x·Wt[64,784]^T", &device, || x.clone().matmul(wt.clone().transpose()));
    time("wgrad TN x^T·dy (x view)", &device, || x.clone().transpose().matmul(dy.clone()));
    time("wgrad NN xt[784,128]·dy", &device, || xt.clone().matmul(dy.clone()));
    time("wgrad' dy^T·x -> [64,784] (view)", &device, || dy.clone().transpose().matmul(x.clone()));
    time("wgrad' dyt[64,128]·x", &device, || dyt.clone().matmul(x.clone()));
    time("fwd2 h[128,64]·W2[64,64]", &device, || dy.clone().matmul(dyt.clone().slice([0..64, 0..64])));
}
