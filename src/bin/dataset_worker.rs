//! The dataset worker binary (built by Trunk as a dedicated Web Worker): loads the dataset
//! off the page's main thread.
fn main() {
    mnist_lab::web::dataset_worker::start();
}
