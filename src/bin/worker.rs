//! The training worker binary (built by Trunk as a dedicated Web Worker).
fn main() {
    mnist_lab::worker::start();
}
