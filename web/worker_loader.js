// Loads the training worker's wasm (Trunk builds it for the no-modules target). Written by
// hand rather than Trunk's loader shim, which calls the init function with a bare path
// (wasm-bindgen warns "using deprecated parameters for the initialization function").
importScripts('./worker.js');
wasm_bindgen({ module_or_path: './worker_bg.wasm' });
