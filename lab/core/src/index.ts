export * from './cloud-api.ts';
export * from './components.ts';
export * from './desktop-driver.ts';
export * from './lab/lab.ts';
export * from './lab/site-controls.ts';
export * from './lab/site-link.ts';
export * from './loopback-stack.ts';
export * from './tcp-relay.ts';
