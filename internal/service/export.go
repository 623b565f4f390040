package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/archive"
	"github.com/switchboard/switchboard/internal/dkim"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/tlscert"
)

// The records of a domain export. Ids are left out: they belong to one
// store; names are the keys.
type (
	domainRecord struct {
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
		Memo      string    `json:"memo,omitempty"`
	}
	accountRecord struct {
		Local        string    `json:"local"`
		Email        string    `json:"email"`
		PasswordHash string    `json:"password_hash"`
		HA1MD5       string    `json:"ha1_md5,omitempty"`
		HA1SHA256    string    `json:"ha1_sha256,omitempty"`
		Active       bool      `json:"active"`
		ContactEmail string    `json:"contact_email,omitempty"`
		Phone        string    `json:"phone,omitempty"`
		Activated    bool      `json:"activated"`
		Admin        bool      `json:"admin"`
		Provisioned  bool      `json:"provisioned"`
		CreatedAt    time.Time `json:"created_at"`
		UpdatedAt    time.Time `json:"updated_at"`
		// The mailbox profile; archives from before it have none: no
		// names, no forwards, mail kept (inboxsave absent is true).
		FirstName string   `json:"first_name,omitempty"`
		LastName  string   `json:"last_name,omitempty"`
		Forwards  []string `json:"forwards,omitempty"`
		InboxSave *bool    `json:"inboxsave,omitempty"`
		// The quota; archives from before quotas have none (unlimited).
		QuotaBytes      int64  `json:"quota_bytes,omitempty"`
		QuotaMessages   int64  `json:"quota_messages,omitempty"`
		QuotaPlan       string `json:"quota_plan,omitempty"`
		QuotaExtraBytes int64  `json:"quota_extra_bytes,omitempty"`
	}
	aliasRecord struct {
		Address   string    `json:"address"`
		Goto      []string  `json:"goto"`
		CreatedAt time.Time `json:"created_at"`
	}
	dkimRecord struct {
		Selector      string    `json:"selector"`
		Algorithm     string    `json:"algorithm"`
		PublicKey     string    `json:"public_key"`
		PrivateKeyPEM string    `json:"private_key_pem"`
		Active        bool      `json:"active"`
		CreatedAt     time.Time `json:"created_at"`
	}
	certRecord struct {
		Hostname      string `json:"hostname"`
		Source        string `json:"source"`
		ChainPEM      string `json:"chain_pem"`
		PrivateKeyPEM string `json:"private_key_pem"`
	}
)

// Export is a domain export ready to be written; Close it when done.
type Export struct {
	b      *archive.Builder
	domain string
	at     time.Time
}

// FileName is the suggested name of the archive.
func (e *Export) FileName() string {
	return e.domain + "-" + e.at.UTC().Format("20060102T150405Z") + ".tar.gz"
}

// Stream writes the archive to w.
func (e *Export) Stream(w io.Writer) error { return e.b.Write(w, e.domain, e.at) }

// Close removes the spooled files.
func (e *Export) Close() error { return e.b.Close() }

// ExportDomain gathers a domain of the actor, its accounts (with password
// hashes, so a move keeps passwords working), aliases, DKIM keys and certificates
// (private keys in clear: the archive is a secret), from one snapshot, and
// the accounts' Maildirs when the service manages mail storage.
func (s *Service) ExportDomain(ctx context.Context, actor sb.Actor, domain string) (sb.DomainExport, error) {
	b, err := archive.NewBuilder()
	if err != nil {
		return nil, sb.Internal(err)
	}
	exp := &Export{b: b, at: s.now()}
	err = s.store.ReadTx(ctx, func(tx *store.Tx) error {
		d, err := visibleDomainByName(ctx, tx, actor, domain)
		if err != nil {
			return err
		}
		exp.domain = d.Name
		if err := b.JSON("domain.json", domainRecord{Name: d.Name, CreatedAt: d.CreatedAt, Memo: d.Memo}); err != nil {
			return err
		}
		accounts, err := b.Lines("accounts.jsonl")
		if err != nil {
			return err
		}
		err = tx.EachAccountWithCredentials(ctx, d.ID, func(a sb.Account, c store.Credentials) error {
			return accounts.Add(accountRecord{Local: a.Local, Email: a.Email, PasswordHash: c.Hash,
				HA1MD5: c.HA1MD5, HA1SHA256: c.HA1SHA256, Active: a.Active, ContactEmail: a.ContactEmail, Phone: a.Phone,
				Activated: a.Activated, Admin: a.Admin, Provisioned: a.Provisioned, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
				FirstName: a.FirstName, LastName: a.LastName, Forwards: a.Forwards, InboxSave: &a.InboxSave,
				QuotaBytes: a.Quota.Bytes, QuotaMessages: a.Quota.Messages, QuotaPlan: a.Quota.Plan, QuotaExtraBytes: a.Quota.ExtraBytes})
		})
		if err := errors.Join(err, accounts.Close("accounts")); err != nil {
			return err
		}
		aliases, err := b.Lines("aliases.jsonl")
		if err != nil {
			return err
		}
		err = tx.EachAlias(ctx, d.ID, sb.Page{}, func(a sb.Alias) error {
			return aliases.Add(aliasRecord{Address: a.Email, Goto: a.Destinations, CreatedAt: a.CreatedAt})
		})
		if err := errors.Join(err, aliases.Close("aliases")); err != nil {
			return err
		}
		if err := exportVacations(ctx, tx, b, d); err != nil {
			return err
		}
		keys, err := tx.DKIMKeys(ctx, d.ID)
		if err != nil {
			return err
		}
		dk, err := b.Lines("dkim_keys.jsonl")
		if err != nil {
			return err
		}
		for _, k := range keys {
			_, sealed, err := tx.DKIMKey(ctx, d.ID, k.Selector)
			if err != nil {
				return err
			}
			priv, err := s.openSealed(dkimPurpose(d.Name, k.Selector), sealed)
			if err != nil {
				return err
			}
			if err := dk.Add(dkimRecord{Selector: k.Selector, Algorithm: k.Algorithm, PublicKey: k.Public,
				PrivateKeyPEM: string(priv), Active: k.Active, CreatedAt: k.CreatedAt}); err != nil {
				return err
			}
		}
		if err := dk.Close("dkim_keys"); err != nil {
			return err
		}
		certs, err := b.Lines("certificates.jsonl")
		if err != nil {
			return err
		}
		err = tx.EachCertificate(ctx, d.ID, func(c sb.Certificate, sealed string) error {
			key, err := s.openSealed(certPurpose(c.Hostname), sealed)
			if err != nil {
				return err
			}
			return certs.Add(certRecord{Hostname: c.Hostname, Source: c.Source, ChainPEM: c.ChainPEM, PrivateKeyPEM: string(key)})
		})
		return errors.Join(err, certs.Close("certificates"))
	})
	if err != nil {
		b.Close()
		var se *sb.Error
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, sb.Internal(fmt.Errorf("export %s: %w", domain, err))
	}
	// After the snapshot of the records: mail keeps arriving anyway, and a
	// long walk must not hold a read transaction open.
	if err := s.exportMail(ctx, b, exp.domain); err != nil {
		b.Close()
		return nil, sb.Internal(fmt.Errorf("export %s: %w", domain, err))
	}
	if err := s.auditExport(ctx, actor, exp.domain); err != nil {
		b.Close()
		return nil, err
	}
	return exp, nil
}

func (s *Service) auditExport(ctx context.Context, actor sb.Actor, domain string) error {
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, s.now(), actor.String(), "domain.export", "domain:"+domain)
	})
}

// ImportDomain restores a domain export for a tenant (empty: the actor's
// own; only operators may name another), in one transaction. A domain, host
// name or address that already exists refuses the whole import. Maildirs
// are written to a staging directory first and renamed into place once the
// transaction has committed, so a refused import leaves no mail behind.
func (s *Service) ImportDomain(ctx context.Context, actor sb.Actor, tenant string, r io.Reader) (*sb.ImportResult, error) {
	if !actor.CanOwnDomains() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only tenants may import domains")
	}
	if tenant != "" && !actor.CanManageTenant(tenant) {
		// Refuse before reading what may be a large upload.
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may import for another tenant")
	}
	release, tag, err := s.takeImportLease(ctx, actor, tenant)
	if err != nil {
		return nil, err
	}
	defer release()
	a, err := archive.Read(r, s.imports.archiveLimits(tag))
	if err != nil {
		return nil, importError(err)
	}
	defer a.Close()
	var dr domainRecord
	if err := a.JSON("domain.json", &dr); err != nil {
		return nil, importError(err)
	}
	name, err := NormalizeDomain("domain", dr.Name)
	if err != nil || name != a.Manifest.Domain {
		return nil, sb.Errorf(sb.EINVALID, "the archive's domain %q is not valid or does not match its manifest", dr.Name)
	}
	if _, err := s.store.Read().DomainByName(ctx, name); err == nil {
		// Before staging what may be gigabytes of mail.
		return nil, &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "domain " + name + " already exists here"}
	}
	if err := checkDomainClaim(ctx, s.store.Read(), actor, name); err != nil {
		return nil, err // checked again in the transaction
	}
	staged, err := s.stageMail(ctx, a, name)
	if err != nil {
		return nil, importError(err)
	}
	res := &sb.ImportResult{}
	now := s.now()
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		owner, err := s.importOwner(ctx, tx, actor, tenant)
		if err != nil {
			return err
		}
		if err := checkDomainClaim(ctx, tx, actor, name); err != nil {
			return err
		}
		d := &sb.Domain{Name: name, TenantID: owner.ID, TenantName: owner.Name, CreatedAt: dr.CreatedAt}
		if owner, err = lockTenant(ctx, tx, owner.ID); err != nil {
			return err
		}
		if err := tx.CreateDomain(ctx, d); err != nil {
			if sb.ErrorCode(err) == sb.ECONFLICT {
				return &sb.Error{Code: sb.ECONFLICT, Field: "domain", Message: "domain " + name + " already exists here"}
			}
			return err
		}
		res.Domain = d
		if dr.Memo != "" {
			if err := checkMemo("memo", dr.Memo); err != nil {
				return &archive.Error{Msg: "domain " + name + ": " + sb.ErrorMessage(err)}
			}
			if err := tx.SetDomainMemo(ctx, d.ID, dr.Memo); err != nil {
				return err
			}
			d.Memo = dr.Memo
		}
		batch := make([]store.ImportAccount, 0, 500)
		flush := func() error {
			err := tx.InsertImportedAccounts(ctx, d.ID, batch)
			batch = batch[:0]
			return err
		}
		err = archive.EachLine(a, "accounts.jsonl", func(r *accountRecord) error {
			// The local-part rule of created accounts: a local part names
			// the Maildir.
			local, dom, err := NormalizeEmail("email", r.Email)
			if err != nil {
				return &archive.Error{Msg: "account " + r.Email + ": " + sb.ErrorMessage(err)}
			}
			if dom != name || local != r.Local || !strings.HasPrefix(r.PasswordHash, "{") {
				return &archive.Error{Msg: "account " + r.Email + " is not valid for " + name}
			}
			profile, err := r.profile(local + "@" + dom)
			if err != nil {
				return &archive.Error{Msg: "account " + r.Email + ": " + sb.ErrorMessage(err)}
			}
			q, err := importQuota(r)
			if err != nil {
				return &archive.Error{Msg: "account " + r.Email + ": " + sb.ErrorMessage(err)}
			}
			batch = append(batch, store.ImportAccount{Local: local, Email: local + "@" + dom,
				Credentials: store.Credentials{Hash: r.PasswordHash, HA1MD5: r.HA1MD5, HA1SHA256: r.HA1SHA256},
				Active:      r.Active, ContactEmail: r.ContactEmail, Phone: r.Phone, Activated: r.Activated, Admin: r.Admin,
				Provisioned: r.Provisioned, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Mailbox: profile, Quota: q})
			res.Accounts++
			if len(batch) == cap(batch) {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if err := checkLimits(ctx, tx, owner, limitAll); err != nil {
			return err
		}
		// After the accounts, so that an alias over an imported mailbox is
		// refused like one made through the API. Archives from before
		// aliases have no aliases.jsonl and import all the same.
		err = archive.EachLine(a, "aliases.jsonl", func(r *aliasRecord) error {
			al, err := newAlias(d, r.Address, r.Goto, r.CreatedAt)
			if err != nil {
				return &archive.Error{Msg: "alias " + r.Address + " is not valid for " + name + ": " + sb.ErrorMessage(err)}
			}
			res.Aliases++
			return tx.CreateAlias(ctx, al)
		})
		if err != nil {
			return err
		}
		if err := importVacations(ctx, tx, a, d); err != nil {
			return err
		}
		err = archive.EachLine(a, "dkim_keys.jsonl", func(r *dkimRecord) error {
			// The rules of AddDKIMKey.
			sel, err := checkSelector(r.Selector)
			if err != nil {
				return &archive.Error{Msg: "DKIM key " + r.Selector + ": " + sb.ErrorMessage(err)}
			}
			alg, err := checkDKIMAlgorithm(r.Algorithm)
			if err != nil {
				return &archive.Error{Msg: "DKIM key " + sel + ": " + sb.ErrorMessage(err)}
			}
			if _, err := dkim.ParsePrivate([]byte(r.PrivateKeyPEM)); err != nil {
				return &archive.Error{Msg: "DKIM key " + sel + " has an unreadable private key"}
			}
			sealed, err := s.seal.Seal(dkimPurpose(name, sel), []byte(r.PrivateKeyPEM))
			if err != nil {
				return err
			}
			k := &sb.DKIMKey{DomainID: d.ID, Selector: sel, Algorithm: alg, Public: r.PublicKey, Active: r.Active, CreatedAt: r.CreatedAt}
			res.DKIMKeys++
			return tx.CreateDKIMKey(ctx, k, sealed)
		})
		if err != nil {
			return err
		}
		err = archive.EachLine(a, "certificates.jsonl", func(r *certRecord) error {
			res.Certificates++
			return s.importCert(ctx, tx, d, r, now)
		})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, now, actor.String(), "domain.import", "domain:"+name)
	})
	if err != nil {
		s.placeMail(ctx, staged, name, false)
		return nil, importError(err)
	}
	if err := s.placeMail(ctx, staged, name, true); err != nil {
		return nil, err
	}
	res.Domain.UsersCount = res.Accounts
	return res, nil
}

func (s *Service) importOwner(ctx context.Context, tx *store.Tx, actor sb.Actor, tenant string) (*sb.Tenant, error) {
	if tenant == "" || tenant == actor.TenantName && !actor.System {
		if actor.System {
			return nil, sb.FieldError("tenant", "tenant is required")
		}
		return tx.TenantByID(ctx, actor.TenantID)
	}
	if !actor.IsOperator() {
		return nil, sb.Errorf(sb.EFORBIDDEN, "only operators may import for another tenant")
	}
	t, _, err := tx.TenantByName(ctx, tenant)
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return nil, &sb.Error{Code: sb.ENOTFOUND, Field: "tenant", Message: "tenant " + tenant + " not found"}
	}
	return t, err
}

// importCert stores one imported certificate, sealed with this server's
// key. Its names must lie within the imported domain; an expired one moves
// too, and the renewal loop replaces it.
func (s *Service) importCert(ctx context.Context, tx *store.Tx, d *sb.Domain, r *certRecord, now time.Time) error {
	b, err := tlscert.Parse([]byte(r.ChainPEM), []byte(r.PrivateKeyPEM), time.Time{})
	if err != nil {
		return &archive.Error{Msg: "certificate " + r.Hostname + ": " + err.Error()}
	}
	// The coverage rule of uploads, with the imported domain as the
	// actor's only one.
	_, err = certDomain(b.Names, func(n string) (*sb.Domain, error) {
		if !tlscert.Covered(n, d.Name) {
			return nil, notYourName(n)
		}
		return d, nil
	})
	if err != nil {
		return &archive.Error{Msg: "certificate " + r.Hostname + ": " + sb.ErrorMessage(err)}
	}
	if b.Names[0] != r.Hostname || (r.Source != "acme" && r.Source != "upload") {
		return &archive.Error{Msg: "certificate " + r.Hostname + " does not match its record"}
	}
	if _, _, err := tx.CertificateByHostname(ctx, r.Hostname); err == nil {
		return &sb.Error{Code: sb.ECONFLICT, Field: "certificate", Message: "a certificate for " + r.Hostname + " already exists here"}
	}
	sealed, err := s.seal.Seal(certPurpose(r.Hostname), b.KeyPEM)
	if err != nil {
		return err
	}
	c := &sb.Certificate{Hostname: r.Hostname, DomainID: d.ID, Source: r.Source, Names: b.Names, ChainPEM: string(b.ChainPEM),
		Issuer: b.Issuer(), NotBefore: b.Leaf().NotBefore.UTC(), NotAfter: b.Leaf().NotAfter.UTC()}
	return tx.PutCertificate(ctx, c, sealed, now)
}

// importError shows archive defects to the sender as invalid input, and an
// archive over a bound as too large.
func importError(err error) error {
	if te, ok := errors.AsType[*archive.TooLargeError](err); ok {
		return sb.Errorf(sb.ETOOLARGE, "%s", te.Msg)
	}
	var ae *archive.Error
	if errors.As(err, &ae) {
		return sb.Errorf(sb.EINVALID, "%s", ae.Msg)
	}
	return err
}

// importQuota checks an imported account's quota by the rules of the
// APIs: sizes in range, a known plan or none.
func importQuota(r *accountRecord) (sb.MailboxQuota, error) {
	q := sb.MailboxQuota{Bytes: r.QuotaBytes, Messages: r.QuotaMessages, Plan: r.QuotaPlan, ExtraBytes: r.QuotaExtraBytes}
	if err := checkSize("quota", q.Bytes, MaxQuotaBytes); err != nil {
		return q, err
	}
	if err := checkSize("quota_messages", q.Messages, MaxQuotaMessages); err != nil {
		return q, err
	}
	if err := checkSize("additional_mail_quota", q.ExtraBytes, q.Bytes); err != nil {
		return q, err
	}
	if _, ok := MailPlans[q.Plan]; q.Plan != "" && !ok {
		return q, sb.FieldError("plan", "plan must be one of %s", planNames(MailPlans))
	}
	return q, nil
}
