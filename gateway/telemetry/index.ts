/**
 * OpenTelemetry traces, with the official SDK: a span per operation (every facade and in-process consumer, through
 * the seam), per pipeline phase (identity, parse, validate, execute), per source load (cache result, breaker state,
 * retries, deadline) and per marketing action (a customer event's rules, a campaign target), with the W3C
 * `traceparent` taken from clients and sent on to every backend (REST and SOAP).
 *
 * Off by default, configured by the standard variables only:
 *   OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   where OTLP/HTTP goes (tracing is on when set)
 *   OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG                         e.g. parentbased_traceidratio, 0.01
 *   OTEL_SERVICE_NAME (default ucv-gateway), OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SDK_DISABLED
 *
 * While off, nothing here allocates a span or a context: `traced` runs its function as it is. Spans are parented by
 * hand (TraceContext), never through an active context.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export { SpanKind };

let provider: NodeTracerProvider | undefined;
const tracer = () => trace.getTracer('ucv-gateway');

/** Whether tracing is on in this process. */
export const tracing = (): boolean => provider !== undefined;

export interface Tracing {
  /** Sends what is buffered and stops; spans after it are dropped. */
  shutdown(): Promise<void>;
  /** Sends what is buffered now (tests read the spans after it). */
  flush(): Promise<void>;
}

/**
 * Starts tracing when the environment asks for it (an OTLP endpoint, the SDK not disabled): the provider and the W3C
 * propagator, registered globally, and no context manager (see TraceContext). null when it stays off. A processor
 * may be given instead of the OTLP exporter (tests).
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env, processor?: SpanProcessor): Tracing | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none' || (!endpoint && !processor)) return null;
  if (provider) return { shutdown: () => stop(), flush: () => provider?.forceFlush() ?? Promise.resolve() };
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? 'ucv-gateway' }),
    // The exporter reads the OTEL_EXPORTER_OTLP_* variables itself; the sampler comes from OTEL_TRACES_SAMPLER(_ARG).
    spanProcessors: [processor ?? new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register({ contextManager: null });
  return { shutdown: () => stop(), flush: () => provider?.forceFlush() ?? Promise.resolve() };
}

async function stop(): Promise<void> {
  const p = provider;
  provider = undefined;
  if (!p) return;
  await p.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

/**
 * Where a span's children hang: the trace context of the span now running, passed by hand from caller to callee
 * (a request carries it on its RequestContext). No context manager is registered: on Node 20, AsyncLocalStorage
 * turns on async hooks for every promise of the process once it is used, which cost the cached view a fifth of its
 * throughput even with sampling at 0%. The functions below take their parent as an argument instead.
 */
export type TraceContext = Context;

/** The empty context: no parent (a root span), and what the functions below take while tracing is off. */
export const NO_TRACE: TraceContext = ROOT_CONTEXT;

/**
 * Runs `fn` inside a span, child of `parent` (a client's `traceparent`, the operation, the execute phase), ended when
 * it settles; a throw is recorded on the span and thrown on. `fn` gets the span and the context its own children
 * take. While tracing is off, or when `parent` is a span the sampler dropped, `fn` runs with a span that records
 * nothing and `parent` as it is: an unsampled trace makes no spans below its root.
 */
export function traced<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: TraceContext },
  fn: (span: Span, context: TraceContext) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? NO_TRACE;
  if (!provider) return fn(OFF, parent);
  const above = trace.getSpan(parent);
  // A local parent the sampler dropped: no child either. (A remote parent, a client's, never records here.)
  if (above && !above.isRecording() && !above.spanContext().isRemote) return fn(above, parent);
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  if (!span.isRecording()) return fn(span, trace.setSpan(parent, span));
  return fn(span, trace.setSpan(parent, span)).then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      span.end();
      throw thrown(span, err);
    },
  );
}

/** `traced` for a synchronous step (parse, validate): a child span of `parent`, ended when it returns. */
export function tracedSync<T>(name: string, parent: TraceContext, fn: () => T): T {
  if (!provider) return fn();
  const above = trace.getSpan(parent);
  if (!above?.isRecording()) return fn();
  const span = tracer().startSpan(name, {}, parent);
  try {
    return fn();
  } catch (err) {
    throw thrown(span, err);
  } finally {
    span.end();
  }
}

/** The span `traced` hands its function while tracing is off: one, recording nothing. */
const OFF = trace.wrapSpanContext({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});

/** A span and the context its children take, handed down a call chain together. */
export interface InSpan {
  readonly span: Span;
  readonly context: TraceContext;
}

/** The InSpan of code that runs while tracing is off: a span recording nothing, no parent. */
export const UNTRACED: InSpan = Object.freeze({ span: OFF, context: NO_TRACE });
/** No headers: one frozen object, not a new one per backend call. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The context a client's W3C headers (`traceparent`, `tracestate`) carry, or none. */
export function contextFrom(headers: Record<string, string | string[] | undefined> | undefined): TraceContext {
  if (!provider || !headers) return NO_TRACE;
  return propagation.extract(NO_TRACE, headers);
}

/** The W3C headers to send a backend from within `context`'s span (none while tracing is off or without one). */
export function traceHeaders(context: TraceContext | undefined): Readonly<Record<string, string>> {
  if (!provider || !context || !trace.getSpan(context)) return NO_HEADERS;
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier);
  return carrier;
}

/** Records a throw on the span (as an exception event and its status) and gives it back to be thrown on. */
function thrown(span: Span, err: unknown): unknown {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
  return err;
}

/** Marks a span as failed without a throw (a refusal, a backend's failure answered as an outcome). */
export function failed(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
