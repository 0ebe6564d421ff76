#!/usr/bin/env node
// Runs the TypeScript sources directly (the packages are consumed from source in this monorepo).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
