package gen

// kind is what a queued record renders as.
type kind uint8

const (
	kSnapshot kind = iota + 1
	kJoiner
	kMover
	kLeaver
	kRescind
	kNHIRegistered
	kNHIReassigned
	kTicket
	kOktaCreate
	kOktaDeactivate
	kOktaSuspend
	kOktaReactivate
	kOktaAppAdd
	kOktaAppDeprov
	kOktaAppRemove
	kOktaGroupAdd
	kOktaGroupRemove
	kOktaPrivGrant
	kOktaShadowCreate
	kNHIRevoke // rendered by the NHI's system (Okta or Entra)
	kEntraAdd
	kEntraDisable
	kEntraUpdateDisable
	// Noise from here on.
	kOktaSSO
	kOktaSessionStart
	kOktaMFA
	kOktaPolicyEval
	kOktaFailedDeactivate
	kEntraUpdateProfile
	kEntraChangePassword
	kEntraSecurityInfo
)

func (k kind) noise() bool { return k >= kOktaSSO }

// rec.sub values.
const (
	flagDateOnly      uint8 = 1
	reasonInvoluntary uint8 = 2

	ticketJoinerCompleted  uint8 = 1
	ticketLeaverCompleted  uint8 = 2
	ticketLeaverIncomplete uint8 = 3
)

type department struct {
	name   string
	weight int // percent of headcount
	group  string
	titles []string
}

var departments = [...]department{
	{"Engineering", 30, "Engineering", []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "SRE", "Engineering Manager"}},
	{"Sales", 20, "Sales", []string{"Account Executive", "Sales Development Rep", "Sales Manager"}},
	{"Marketing", 10, "Marketing", []string{"Marketing Manager", "Content Strategist", "Product Marketer"}},
	{"Support", 15, "Support", []string{"Support Engineer", "Support Lead"}},
	{"Finance", 8, "Finance", []string{"Accountant", "Financial Analyst", "Controller"}},
	{"People", 5, "People", []string{"HR Business Partner", "Recruiter"}},
	{"Legal", 4, "Legal", []string{"Counsel", "Paralegal"}},
	{"IT", 8, "IT", []string{"IT Administrator", "Identity Engineer", "Help Desk Analyst"}},
}

type app struct {
	name   string // the Okta AppInstance alternateId / displayName
	system string // the policy's key
	id     string // the AppInstance id
}

// apps by bit index (appSlack, appSalesforce, appGitHub, appAWS).
var apps = [numApps]app{
	{"Slack", "slack", "0oa1slack0Ab2Cd3Ef4x7"},
	{"Salesforce.com", "salesforce", "0oa2sfdc0Xy4Lm9Qw1x7"},
	{"GitHub Enterprise", "github", "0oa4ghe00Pq6Rs8Tu0x7"},
	{"AWS Prod", "aws-prod", "0oa3aws00Kc8Rt2Nn5x7"},
}

var firstNames = [...]string{
	"Ana", "Bo", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kemi", "Luca",
	"Mei", "Nora", "Omar", "Priya", "Quinn", "Ravi", "Sofia", "Tomas", "Uma", "Victor", "Wen",
	"Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Diego", "Emma", "Felix", "Gita", "Hugo",
	"Isla", "Jamal", "Kira", "Liam", "Maya", "Nils", "Olga", "Pablo", "Rosa", "Sam", "Tara",
	"Umar", "Vera", "Will", "Yara", "Zane",
}

var lastNames = [...]string{
	"Silva", "Chen", "Rossi", "Patel", "Novak", "Haddad", "Kim", "Tanaka", "Garcia", "Smith",
	"Okafor", "Bianchi", "Lin", "Berg", "Aziz", "Shah", "Murphy", "Rao", "Costa", "Dvorak",
	"Iyer", "Lopez", "Wang", "Reyes", "Demir", "Moreau", "Sato", "Alves", "Dubois", "Fernandez",
	"Jones", "Weber", "Gupta", "Nilsson", "Olsen", "Petrov", "Quispe", "Ruiz", "Schmidt", "Tran",
	"Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Abe", "Brown", "Cruz", "Diaz",
}
