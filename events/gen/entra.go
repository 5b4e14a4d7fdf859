package gen

import (
	"strconv"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Entra directoryAudit rendering.

type entraTarget struct {
	id, typ, displayName, upn string
	mods                      string // the modifiedProperties array, raw JSON
}

func (s *sim) entra(b []byte, r rec) []byte {
	w := r.w
	activity, category, service, op := "", "UserManagement", "Core Directory", "Update"
	user := entraTarget{id: s.entraUserID(w), typ: "User", upn: email(w), mods: "[]"}
	var targets []entraTarget
	switch r.kind {
	case kEntraAdd:
		activity, op = "Add user", "Add"
		user.mods = `[{"displayName":"AccountEnabled","oldValue":"[]","newValue":"[true]"},{"displayName":"DisplayName","oldValue":"[]","newValue":"[\"` + displayName(w) + `\"]"},{"displayName":"UserPrincipalName","oldValue":"[]","newValue":"[\"` + email(w) + `\"]"}]`
		targets = []entraTarget{user}
	case kEntraDisable:
		activity = "Disable account"
		targets = []entraTarget{user}
	case kEntraUpdateDisable:
		activity = "Update user"
		user.mods = `[{"displayName":"AccountEnabled","oldValue":"[true]","newValue":"[false]"},{"displayName":"Included Updated Properties","oldValue":null,"newValue":"\"AccountEnabled\""}]`
		targets = []entraTarget{user}
	case kEntraUpdateProfile:
		activity = "Update user"
		d := departments[s.workers[w].dept].name
		user.mods = `[{"displayName":"Department","oldValue":"[\"` + d + `\"]","newValue":"[\"` + d + `\"]"},{"displayName":"TelephoneNumber","oldValue":"[]","newValue":"[\"+1 415 555 0` + pad(int(r.id%1000), 3) + `\"]"},{"displayName":"Included Updated Properties","oldValue":null,"newValue":"\"Department, TelephoneNumber\""}]`
		targets = []entraTarget{user}
	case kEntraChangePassword:
		activity, service = "Change user password", "Core Directory"
		targets = []entraTarget{user}
	case kEntraSecurityInfo:
		activity, category, service, op = "User registered security info", "UserManagement", "Authentication Methods", "Add"
		targets = []entraTarget{user}
	case kNHIRevoke:
		activity, category, op = "Remove service principal", "ApplicationManagement", "Delete"
		targets = []entraTarget{{id: s.nhiID(w), typ: "ServicePrincipal", displayName: s.nhiName(w), mods: "[]"}}
	}
	x := s.h(17, r.id)
	b = append(b, '{')
	b = kv(b, "id", "Directory_"+string(appendGUID(nil, x)))
	b = kv(b, "category", category)
	b = kv(b, "correlationId", string(appendGUID(nil, mix(x))))
	b = kv(b, "result", "success")
	b = kv(b, "resultReason", "")
	b = kv(b, "activityDisplayName", activity)
	b = kv(b, "activityDateTime", time.UnixMilli(r.t).UTC().Format("2006-01-02T15:04:05.0000000Z"))
	b = kv(b, "loggedByService", service)
	b = kv(b, "operationType", op)
	b = append(b, `,"initiatedBy":{"app":null,"user":{`...)
	b = kv(b, "id", adminEntra)
	b = kraw(b, "displayName", "null")
	b = kv(b, "userPrincipalName", adminEmail)
	b = kv(b, "ipAddress", "")
	b = kraw(b, "userType", "null")
	b = kraw(b, "homeTenantId", "null")
	b = kraw(b, "homeTenantName", "null")
	b = append(b, `}},"targetResources":[`...)
	for i, t := range targets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = kv(b, "id", t.id)
		if t.displayName == "" {
			b = kraw(b, "displayName", "null")
		} else {
			b = kv(b, "displayName", t.displayName)
		}
		b = kv(b, "type", t.typ)
		if t.upn == "" {
			b = kraw(b, "userPrincipalName", "null")
		} else {
			b = kv(b, "userPrincipalName", t.upn)
		}
		b = kraw(b, "groupType", "null")
		b = kraw(b, "modifiedProperties", t.mods)
		b = append(b, '}')
	}
	b = append(b, `],"additionalDetails":[{"key":"UserType","value":"Member"}`...)
	b = append(b, `,{"key":"TenantId","value":"`+tenantID+`"}]}`...)
	return b
}
