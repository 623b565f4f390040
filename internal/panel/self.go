package panel

// registerSelf registers the self-service pages of any account: password,
// contact change with its code, devices, provisioning QR code, deleting
// one's own account.
func (p *Panel) registerSelf() {}
