package panel

// registerSIPAdmin registers the pages of a SIP account admin: the
// accounts of its domains and its API keys.
func (p *Panel) registerSIPAdmin() {}
