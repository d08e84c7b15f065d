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
 * While off, nothing here allocates a span or a context: `traced` runs its function as it is.
 */
import {
  context,
  propagation,
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
 * Starts tracing when the environment asks for it (an OTLP endpoint, the SDK not disabled): the provider, the
 * AsyncLocalStorage context manager and the W3C propagator, registered globally. null when it stays off. A processor
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
  provider.register();
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
 * Runs `fn` inside a span that is the active one for everything it awaits (source loads, backend calls), ended when
 * it settles; a throw is recorded on the span and thrown on. `parent` overrides the active context (a client's
 * `traceparent`). While tracing is off, `fn` runs with a span that records nothing.
 */
export function traced<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!provider) return fn(OFF);
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        throw thrown(span, err);
      } finally {
        span.end();
      }
    },
  );
}

/** `traced` for a synchronous step (parse, validate): a child span of the active one, ended when it returns. */
export function tracedSync<T>(name: string, fn: () => T): T {
  if (!provider) return fn();
  const span = tracer().startSpan(name);
  try {
    return context.with(trace.setSpan(context.active(), span), fn);
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
/** No headers: one frozen object, not a new one per backend call. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The context a client's W3C headers (`traceparent`, `tracestate`) carry, or the active one. */
export function contextFrom(headers: Record<string, string | string[] | undefined> | undefined): Context {
  if (!provider || !headers) return context.active();
  return propagation.extract(context.active(), headers);
}

/** The W3C headers to send a backend for the active span (none while tracing is off). */
export function traceHeaders(): Readonly<Record<string, string>> {
  if (!provider) return NO_HEADERS;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
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
