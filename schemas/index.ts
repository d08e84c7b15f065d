/** Reads the canonical SDL files of this folder. */
import fs from 'node:fs';
import path from 'node:path';

export const schemaFile = (name: string): string => fs.readFileSync(path.join(__dirname, name), 'utf8');
