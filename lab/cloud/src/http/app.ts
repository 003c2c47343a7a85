import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Logger } from '@multiclaw-lab/kit';
import type { FastifyInstance } from 'fastify';

/** The cloud's Fastify instance: HTTPS server, the kit's pino logger. */
export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;
