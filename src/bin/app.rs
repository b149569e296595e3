//! The page's wasm entry point: mounts [`mnist_lab::ui::App`]. Everything else is in `ui`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(mnist_lab::ui::App);
}
