// Loads the dataset worker's wasm (Trunk builds it for the no-modules target), as
// worker_loader.js does for the training worker.
importScripts('./dataset_worker.js');
wasm_bindgen({ module_or_path: './dataset_worker_bg.wasm' });
