package okta

// typeString returns eventType as a string, without allocating for the
// event types that make up most of a System Log (sign-ins, SSO, MFA, policy
// evaluations, token grants) and for the mapped ones.
func typeString(eventType []byte) string {
	switch string(eventType) {
	case "user.session.start":
		return "user.session.start"
	case "user.session.end":
		return "user.session.end"
	case "user.authentication.sso":
		return "user.authentication.sso"
	case "user.authentication.auth_via_mfa":
		return "user.authentication.auth_via_mfa"
	case "user.authentication.verify":
		return "user.authentication.verify"
	case "user.authentication.authenticate":
		return "user.authentication.authenticate"
	case "user.authentication.auth_via_IDP":
		return "user.authentication.auth_via_IDP"
	case "policy.evaluate_sign_on":
		return "policy.evaluate_sign_on"
	case "system.push.send_factor_verify_push":
		return "system.push.send_factor_verify_push"
	case "user.mfa.okta_verify.deny_push":
		return "user.mfa.okta_verify.deny_push"
	case "user.mfa.factor.activate":
		return "user.mfa.factor.activate"
	case "app.oauth2.authorize":
		return "app.oauth2.authorize"
	case "app.oauth2.as.authorize":
		return "app.oauth2.as.authorize"
	case "app.oauth2.token.grant":
		return "app.oauth2.token.grant"
	case "app.oauth2.as.token.grant":
		return "app.oauth2.as.token.grant"
	case "app.oauth2.as.token.grant.access_token":
		return "app.oauth2.as.token.grant.access_token"
	case "app.oauth2.as.token.grant.id_token":
		return "app.oauth2.as.token.grant.id_token"
	case "app.oauth2.as.token.grant.refresh_token":
		return "app.oauth2.as.token.grant.refresh_token"
	case "app.oauth2.signon":
		return "app.oauth2.signon"
	case "user.session.access_admin_app":
		return "user.session.access_admin_app"
	case "user.account.update_profile":
		return "user.account.update_profile"
	case "user.account.lock":
		return "user.account.lock"
	case "application.provision.user.sync":
		return "application.provision.user.sync"
	case "application.provision.user.push_profile":
		return "application.provision.user.push_profile"
	case "security.threat.detected":
		return "security.threat.detected"
	case "user.lifecycle.delete.initiated":
		return "user.lifecycle.delete.initiated"
	}
	if r, ok := lookup(eventType); ok {
		return r.name
	}
	return string(eventType)
}
