package dev.curfew.spring;

import java.util.Optional;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/** Injectable: the Curfew session of the request being served, if it has one. */
public class CurfewSessions {
  public Optional<CurfewSession> current() {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    if (attributes == null) return Optional.empty();
    Object s = attributes.getAttribute(CurfewSession.REQUEST_ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
    return Optional.ofNullable((CurfewSession) s);
  }
}
