// The images the topology runs, at the pinned tags, one per line: what a kind node needs loaded
// (`kind load docker-image`) or a k3s node side-loaded (K3S_IMAGES) where it cannot pull.
import { images } from '../fixtures/versions.ts';

console.log(Object.values(images).join('\n'));
