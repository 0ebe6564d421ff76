import { measureBundle, ENTRIES } from './bundle';
const full = await measureBundle(ENTRIES.fullClient);
console.log('full client gzip', full.gzip);
