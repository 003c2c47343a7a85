import { labdMain } from '../labd.ts';
import { fakeLabModule } from './fake-lab.ts';

// A real labd process on a fake Lab (see fake-lab.ts); its name contains "labd" like the real one.
await labdMain(process.argv.slice(2), async () => fakeLabModule());
