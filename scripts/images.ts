// The images the topology runs, at the pinned tags, one per line: what a kind node needs loaded
// (`kind load docker-image`) or a k3s node side-loaded (K3S_IMAGES) where it cannot pull.
// `--built`: the images the suite builds itself (suite-images/*/Dockerfile), which no registry serves.
import { builtImages, images } from '../fixtures/versions.ts';

console.log(Object.values(process.argv.includes('--built') ? builtImages : images).join('\n'));
