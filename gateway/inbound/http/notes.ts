/**
 * A request's notes (pipeline/context.ts `RequestNotes`): what the request log line reports once the request is
 * answered. They live on the response they describe, as a typed field, so the operation that wrote them and the log
 * that reads them need no table between them; a response without notes has none to report.
 */
import type { ServerResponse } from 'node:http';
import type { RequestNotes } from '../../pipeline/context';

type NotedResponse = ServerResponse & { ucvNotes?: RequestNotes };

/** The response's notes, made on first use. */
export const notesOf = (res: ServerResponse): RequestNotes => ((res as NotedResponse).ucvNotes ??= {});

/** The response's notes if anything was noted; never makes them (the log line asks every request). */
export const notedOf = (res: ServerResponse): RequestNotes | undefined => (res as NotedResponse).ucvNotes;
