package entra

// typeString returns an activity name as a string, without allocating for
// the mapped activities and the most frequent others.
func typeString(activity []byte) string {
	switch string(activity) {
	case "User registered security info":
		return "User registered security info"
	case "User started security info registration":
		return "User started security info registration"
	case "Reset password (self-service)":
		return "Reset password (self-service)"
	case "Change user password":
		return "Change user password"
	case "Update application":
		return "Update application"
	case "Update service principal":
		return "Update service principal"
	case "Add service principal":
		return "Add service principal"
	case "Consent to application":
		return "Consent to application"
	case "Add app role assignment to service principal":
		return "Add app role assignment to service principal"
	case "Add app role assignment grant to user":
		return "Add app role assignment grant to user"
	case "Update device":
		return "Update device"
	case "Add device":
		return "Add device"
	case "Add registered owner to device":
		return "Add registered owner to device"
	case "Add registered users to device":
		return "Add registered users to device"
	case "Update group":
		return "Update group"
	case "Update policy":
		return "Update policy"
	case "Sign-in activity":
		return "Sign-in activity"
	}
	if r, ok := lookup(activity); ok {
		return r.name
	}
	return string(activity)
}
