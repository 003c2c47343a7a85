/**
 * testcontainers reads these once, when it is first loaded: import this module before it.
 * Ryuk (its reaper) is an image that would have to be pulled, and nothing can be pulled where
 * the lab runs; the lab reaps by label instead. HOST_OVERRIDE keeps testcontainers from
 * starting a helper container to find the Docker host when it thinks it runs in a container.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
