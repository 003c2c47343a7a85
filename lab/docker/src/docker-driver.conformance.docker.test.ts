import { describeDriverConformance } from '@multiclaw-lab/network/testing';
import { dockerDriver } from './docker-driver.ts';

// The contract every driver passes, on containers (a Docker daemon; no root needed).
describeDriverConformance('docker', dockerDriver);
