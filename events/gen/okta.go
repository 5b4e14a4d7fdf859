package gen

// Okta System Log LogEvent rendering.

type oktaTarget struct {
	id, typ, alternateID, displayName, detail string
}

type oktaEvent struct {
	eventType, legacy, display string
	result, reason             string
	actorID, actorLogin        string
	actorName                  string
	uri                        string
	targets                    []oktaTarget
}

func (s *sim) okta(b []byte, r rec) []byte {
	w := r.w
	ev := oktaEvent{result: "SUCCESS", actorID: adminOkta, actorLogin: adminEmail, actorName: "Ines Admin"}
	user := func() oktaTarget {
		if w < 0 {
			login := s.shadowLogin(r.x)
			return oktaTarget{id: string(appendB62(nil, "00u", s.h(11, uint64(r.x)), 17)), typ: "User", alternateID: login, displayName: login}
		}
		return oktaTarget{id: s.oktaUserID(w), typ: "User", alternateID: email(w), displayName: displayName(w)}
	}
	appT := func(a int32) oktaTarget {
		return oktaTarget{id: apps[a].id, typ: "AppInstance", alternateID: apps[a].name, displayName: apps[a].name, detail: `{"signOnModeType":"SAML_2_0"}`}
	}
	appUser := func(a int32) oktaTarget {
		return oktaTarget{id: s.appUserID(w, a), typ: "AppUser", alternateID: email(w), displayName: displayName(w)}
	}
	self := func() {
		ev.actorID, ev.actorLogin, ev.actorName = s.oktaUserID(w), email(w), displayName(w)
	}
	switch r.kind {
	case kOktaCreate, kOktaShadowCreate:
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.lifecycle.create", "core.user.config.user_creation.success", "Create Okta user", "/api/v1/users"
		ev.targets = []oktaTarget{user()}
	case kOktaDeactivate:
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.lifecycle.deactivate", "core.user.config.user_deactivated", "Deactivate Okta user", "/api/v1/users/lifecycle/deactivate"
		ev.targets = []oktaTarget{user()}
	case kOktaSuspend:
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.lifecycle.suspend", "core.user.config.user_status.suspended", "Suspend Okta user", "/api/v1/users/lifecycle/suspend"
		ev.targets = []oktaTarget{user()}
	case kOktaReactivate:
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.lifecycle.reactivate", "core.user.config.user_activated", "Reactivate Okta user", "/api/v1/users/lifecycle/reactivate"
		ev.targets = []oktaTarget{user()}
	case kOktaFailedDeactivate:
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.lifecycle.deactivate", "core.user.config.user_deactivated", "Deactivate Okta user", "/api/v1/users/lifecycle/deactivate"
		ev.result, ev.reason = "FAILURE", "INSUFFICIENT_PERMISSIONS"
		ev.targets = []oktaTarget{user()}
	case kOktaAppAdd:
		ev.eventType, ev.legacy, ev.display, ev.uri = "application.user_membership.add", "app.generic.provision.assign_user_to_app", "Add user to application membership", "/api/v1/apps/"+apps[r.x].id+"/users"
		ev.targets = []oktaTarget{appUser(r.x), appT(r.x), user()}
	case kOktaAppDeprov:
		ev.eventType, ev.legacy, ev.display, ev.uri = "application.provision.user.deactivate", "app.generic.unprovision.deactivate_user", "Deactivate user in application", "/api/v1/apps/"+apps[r.x].id+"/users"
		ev.targets = []oktaTarget{appT(r.x), appUser(r.x), user()}
	case kOktaAppRemove:
		ev.eventType, ev.legacy, ev.display, ev.uri = "application.user_membership.remove", "app.generic.unprovision.remove_user_from_app", "Remove user from application membership", "/api/v1/apps/"+apps[r.x].id+"/users"
		ev.targets = []oktaTarget{appUser(r.x), appT(r.x), user()}
	case kOktaGroupAdd, kOktaGroupRemove:
		g := departments[r.x].group
		gid := string(appendB62(nil, "00g", s.h(12, uint64(r.x)), 17))
		ev.eventType, ev.legacy, ev.display, ev.uri = "group.user_membership.add", "core.user_group_member.user_add", "Add user to group membership", "/api/v1/groups/"+gid+"/users"
		if r.kind == kOktaGroupRemove {
			ev.eventType, ev.legacy, ev.display = "group.user_membership.remove", "core.user_group_member.user_remove", "Remove user from group membership"
		}
		ev.targets = []oktaTarget{user(), {id: gid, typ: "UserGroup", alternateID: "unknown", displayName: g}}
	case kOktaPrivGrant:
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.account.privilege.grant", "core.user.admin_privilege.granted", "Grant user privilege", "/api/v1/users"
		ev.targets = []oktaTarget{user()}
	case kNHIRevoke:
		if s.workers[w].nhi == nhiOktaToken {
			ev.eventType, ev.legacy, ev.display, ev.uri = "system.api_token.revoke", "", "Revoke API token", "/api/v1/tokens"
			ev.targets = []oktaTarget{{id: s.nhiID(w), typ: "Token", alternateID: "unknown", displayName: s.nhiName(w)}}
		} else {
			ev.eventType, ev.legacy, ev.display, ev.uri = "app.oauth2.client.lifecycle.deactivate", "", "Deactivate OAuth client", "/api/v1/apps/"+s.nhiID(w)+"/lifecycle/deactivate"
			ev.targets = []oktaTarget{{id: s.nhiID(w), typ: "AppInstance", alternateID: s.nhiName(w), displayName: s.nhiName(w), detail: `{"signOnModeType":"OPENID_CONNECT"}`}}
		}
	case kOktaSSO:
		self()
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.authentication.sso", "app.auth.sso", "User single sign on to app", "/app/"+apps[r.x].system+"/sso/saml"
		ev.targets = []oktaTarget{appT(r.x), appUser(r.x)}
	case kOktaSessionStart:
		self()
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.session.start", "core.user_auth.login_success", "User login to Okta", "/idp/idx/identify"
	case kOktaMFA:
		self()
		ev.eventType, ev.legacy, ev.display, ev.uri = "user.authentication.auth_via_mfa", "core.user.factor.attempt_success", "Authentication of user via MFA", "/idp/idx/challenge/answer"
		if s.h(13, r.id)%8 == 0 {
			ev.result, ev.reason, ev.legacy = "FAILURE", "INVALID_CREDENTIALS", "core.user.factor.attempt_fail"
		}
		ev.targets = []oktaTarget{{id: string(appendB62(nil, "mfa", s.h(14, uint64(w)), 17)), typ: "AuthenticatorEnrollment", alternateID: "unknown", displayName: "Okta Verify"}}
	case kOktaPolicyEval:
		self()
		ev.eventType, ev.display, ev.uri = "policy.evaluate_sign_on", "Evaluation of sign-on policy", "/idp/idx/introspect"
		ev.result, ev.reason = "ALLOW", "Sign-on policy evaluation resulted in ALLOW"
		ev.targets = []oktaTarget{
			{id: "00p1abvweGGDW10Ur4x6", typ: "PolicyEntity", alternateID: "unknown", displayName: "Default Policy", detail: `{"policyType":"OktaSignOn"}`},
			{id: "0pr1abvwfqGFI4n064x6", typ: "PolicyRule", alternateID: "00p1abvweGGDW10Ur4x6", displayName: "Default Rule"},
		}
	}
	return s.renderOkta(b, r, &ev)
}

func (s *sim) renderOkta(b []byte, r rec, ev *oktaEvent) []byte {
	x := s.h(15, r.id)
	ip := "198.51.100." + itoa(int(x%250)+1)
	req := string(appendB62(nil, "", x, 27))
	b = append(b, `{"actor":{`...)
	b = kv(b, "id", ev.actorID)
	b = kv(b, "type", "User")
	b = kv(b, "alternateId", ev.actorLogin)
	b = kv(b, "displayName", ev.actorName)
	b = append(b, `,"detailEntry":null},"client":{"userAgent":{"rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36","os":"Mac OS X","browser":"CHROME"},"zone":"null","device":"Computer","id":null`...)
	b = kv(b, "ipAddress", ip)
	b = append(b, `,"geographicalContext":{"city":"San Francisco","state":"California","country":"United States","postalCode":"94107","geolocation":{"lat":37.7697,"lon":-122.3933}}},"device":null,"authenticationContext":{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0`...)
	b = kv(b, "rootSessionId", string(appendB62(nil, "idx", mix(x), 22)))
	b = kv(b, "externalSessionId", string(appendB62(nil, "idx", mix(x+1), 22)))
	b = append(b, '}')
	b = kv(b, "displayMessage", ev.display)
	b = kv(b, "eventType", ev.eventType)
	b = append(b, `,"outcome":{`...)
	b = kv(b, "result", ev.result)
	if ev.reason == "" {
		b = kraw(b, "reason", "null")
	} else {
		b = kv(b, "reason", ev.reason)
	}
	b = append(b, '}')
	b = kv(b, "published", ms(r.t))
	b = append(b, `,"securityContext":{"asNumber":394089,"asOrg":"acme corp","isp":"acme networks","domain":"acme.example","isProxy":false},"severity":"INFO","debugContext":{"debugData":{`...)
	b = kv(b, "requestId", req)
	b = kv(b, "requestUri", ev.uri)
	b = kv(b, "url", ev.uri+"?")
	b = append(b, "}}"...)
	if ev.legacy == "" {
		b = kraw(b, "legacyEventType", "null")
	} else {
		b = kv(b, "legacyEventType", ev.legacy)
	}
	b = append(b, `,"transaction":{"type":"WEB"`...)
	b = kv(b, "id", req)
	b = append(b, `,"detail":{}}`...)
	b = kv(b, "uuid", oktaUUID(s.h(16, r.id)))
	b = kv(b, "version", "0")
	b = append(b, `,"request":{"ipChain":[{`...)
	b = kv(b, "ip", ip)
	b = append(b, `,"geographicalContext":{"city":"San Francisco","state":"California","country":"United States","postalCode":"94107","geolocation":{"lat":37.7697,"lon":-122.3933}},"version":"V4","source":null}]}`...)
	if len(ev.targets) == 0 {
		return append(b, `,"target":null}`...)
	}
	b = append(b, `,"target":[`...)
	for i, t := range ev.targets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = kv(b, "id", t.id)
		b = kv(b, "type", t.typ)
		b = kv(b, "alternateId", t.alternateID)
		b = kv(b, "displayName", t.displayName)
		if t.detail == "" {
			b = kraw(b, "detailEntry", "null")
		} else {
			b = kraw(b, "detailEntry", t.detail)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// oktaUUID formats x like the uuid of an Okta LogEvent.
func oktaUUID(x uint64) string {
	y := mix(x)
	b := appendHex(nil, x>>32, 8)
	b = append(b, '-')
	b = appendHex(b, x>>16, 4)
	b = append(b, '-')
	b = appendHex(b, x, 4)
	b = append(b, '-')
	b = appendHex(b, y>>48, 4)
	b = append(b, '-')
	return string(appendHex(b, y, 12))
}
