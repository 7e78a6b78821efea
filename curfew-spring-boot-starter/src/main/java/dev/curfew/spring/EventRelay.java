package dev.curfew.spring;

import dev.curfew.client.CurfewProblem;
import dev.curfew.client.HolderSession;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One browser's event stream ({@code GET /_curfew/session/events}), relayed from Curfew's as it
 * comes, on the servlet's asynchronous mode: no request thread waits while the page is open (an app
 * has a few hundred, and every open page keeps its stream). Each chunk from Curfew is written and
 * flushed on the client's thread that received it, and the next one is asked for only then, so a
 * browser that reads slowly slows its own stream and nothing else. Ends when Curfew closes the
 * stream (after a session's ending event), or when the browser goes away (a failed write, or the
 * container's error): then Curfew's stream is cancelled.
 */
final class EventRelay implements Flow.Subscriber<List<ByteBuffer>>, AsyncListener {
  private static final System.Logger LOG = System.getLogger(EventRelay.class.getName());

  private final AsyncContext async;
  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final AtomicBoolean done = new AtomicBoolean();
  private volatile Flow.Subscription subscription;
  private volatile boolean streaming;

  private EventRelay(HttpServletRequest request, HttpServletResponse response) {
    this.request = request;
    this.response = response;
    this.async = request.startAsync(request, response);
    this.async.setTimeout(0); // the stream lives as long as the session; Curfew ends it
    this.async.addListener(this);
  }

  /** Starts relaying {@code session}'s events to the browser; the request thread returns at once. */
  static void start(HolderSession session, HttpServletRequest request, HttpServletResponse response) {
    EventRelay relay = new EventRelay(request, response);
    session.relayEvents(relay).whenComplete((ok, e) -> relay.ended(e));
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (done.get()) { // the browser went away before Curfew answered
      s.cancel();
      return;
    }
    response.setStatus(200);
    response.setContentType("text/event-stream");
    response.setCharacterEncoding("UTF-8");
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Accel-Buffering", "no"); // a proxy in front must not hold events back
    streaming = true;
    try {
      response.getOutputStream().flush(); // the browser learns the stream is open before the first event
    } catch (IOException | IllegalStateException gone) {
      browserGone();
      return;
    }
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> chunk) {
    if (done.get()) return;
    try {
      OutputStream out = response.getOutputStream();
      for (ByteBuffer b : chunk) {
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.write(bytes);
      }
      out.flush();
    } catch (IOException | IllegalStateException gone) {
      browserGone();
      return;
    }
    subscription.request(1);
  }

  @Override
  public void onError(Throwable e) {
    // ended(e) follows through the future
  }

  @Override
  public void onComplete() {
    // ended(null) follows through the future
  }

  /** Curfew's stream ended ({@code e} null), or could not be had: a problem is passed on if nothing was sent yet. */
  private void ended(Throwable e) {
    if (done.get()) return;
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause != null && !streaming) {
      try {
        if (cause instanceof CurfewProblem p) {
          CurfewJsEndpoints.refused(request, response, p);
        } else {
          Answers.problem(response, 503, "unavailable", "Curfew unavailable", String.valueOf(cause.getMessage()), null);
        }
      } catch (IOException | IllegalStateException gone) {
        LOG.log(System.Logger.Level.DEBUG, "event stream: the browser went away before the problem: " + gone);
      }
    }
    finish();
  }

  private void browserGone() {
    Flow.Subscription s = subscription;
    if (s != null) s.cancel();
    finish();
  }

  private void finish() {
    if (!done.compareAndSet(false, true)) return;
    try {
      async.complete();
    } catch (IllegalStateException completedAlready) {
      // the container ended it (an error or the browser's close) at the same moment
    }
  }

  @Override
  public void onError(AsyncEvent event) {
    browserGone();
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    browserGone();
  }

  @Override
  public void onComplete(AsyncEvent event) {
    Flow.Subscription s = subscription;
    done.set(true);
    if (s != null) s.cancel(); // idempotent when Curfew's stream ended first
  }

  @Override
  public void onStartAsync(AsyncEvent event) {
  }
}
