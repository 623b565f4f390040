package panel

// registerTenant registers the pages of a tenant: domains, mailboxes,
// aliases, DKIM, certificates, exports, OAuth clients and configuration
// links; an operator sees every tenant.
func (p *Panel) registerTenant() {}
