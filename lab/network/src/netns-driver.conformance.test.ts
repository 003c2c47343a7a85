import { netnsDriver } from './netns-driver.ts';
import { describeDriverConformance } from './testing/conformance.ts';

// The contract every driver passes, on network namespaces (root).
describeDriverConformance('netns', netnsDriver);
