package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"switchboard/media/promptlib"
	"switchboard/signaling/ws"
	"switchboard/store"
)

// IVR menus and prompts (PROTOCOL §10): menu.put/get/list/delete (the
// live side is the Applier when it also implements MenuApplier),
// prompt.list/delete, and PromptAPI for PUT /api/prompts/<id>.

// MenuApplier takes menu changes to the orchestrator.
type MenuApplier interface {
	ApplyMenu(m store.Menu)
	RemoveMenu(id string)
}

// Prompts is the prompt library (media/promptlib.Library).
type Prompts interface {
	Put(id string, wav []byte) (promptlib.Prompt, error)
	Has(id string) bool
	List() []promptlib.Prompt
	Delete(id string) error
}

func (s *session) registerMenus() {
	s.Register("menu.put", ws.Typed(s.menuPut))
	s.Register("menu.get", ws.Typed(func(ctx context.Context, p idParams) (store.Menu, error) {
		st, err := s.menuStore(p)
		if err != nil {
			return store.Menu{}, err
		}
		m, err := st.GetMenu(ctx, p.ID)
		if err != nil {
			return store.Menu{}, s.fail("menu.get", err)
		}
		return m, nil
	}))
	s.Register("menu.delete", ws.Typed(func(ctx context.Context, p idParams) (empty, error) {
		st, err := s.menuStore(p)
		if err != nil {
			return empty{}, err
		}
		if err := st.DeleteMenu(ctx, p.ID); err != nil {
			return empty{}, s.fail("menu.delete", err)
		}
		s.changed("menu", p.ID, "delete", applyMenu(func(a MenuApplier) { a.RemoveMenu(p.ID) }))
		return empty{}, nil
	}))
	s.Register("menu.list", ws.Typed(func(ctx context.Context, _ struct{}) ([]store.Menu, error) {
		st, err := s.menuStore(idParams{ID: "x"})
		if err != nil {
			return nil, err
		}
		out, err := st.ListMenus(ctx)
		if err != nil {
			return nil, s.fail("menu.list", err)
		}
		return out, nil
	}))
	s.Register("prompt.list", ws.Typed(func(ctx context.Context, _ struct{}) ([]promptlib.Prompt, error) {
		if s.c.cfg.Prompts == nil {
			return []promptlib.Prompt{}, nil
		}
		return s.c.cfg.Prompts.List(), nil
	}))
	s.Register("prompt.delete", ws.Typed(s.promptDelete))
}

func (s *session) menuStore(p idParams) (store.MenuStore, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	st, ok := s.c.cfg.Store.(store.MenuStore)
	if !ok {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: "this store keeps no menus"}
	}
	return st, nil
}

func applyMenu(f func(MenuApplier)) func(Applier) {
	return func(a Applier) {
		if ma, ok := a.(MenuApplier); ok {
			f(ma)
		}
	}
}

func (s *session) menuPut(ctx context.Context, p store.Menu) (store.Menu, error) {
	st, err := s.menuStore(idParams{ID: p.ID})
	if err != nil {
		return store.Menu{}, err
	}
	if lib := s.c.cfg.Prompts; lib != nil && p.Prompt != "" && !lib.Has(p.Prompt) {
		return store.Menu{}, ws.InvalidParams("prompt: unknown prompt " + p.Prompt + " (upload it with PUT /api/prompts/" + p.Prompt + ")")
	}
	m, err := st.PutMenu(ctx, p)
	if err != nil {
		return store.Menu{}, s.fail("menu.put", err)
	}
	s.changed("menu", m.ID, "put", applyMenu(func(a MenuApplier) { a.ApplyMenu(m) }))
	return m, nil
}

// promptDelete removes a prompt no menu plays.
func (s *session) promptDelete(ctx context.Context, p idParams) (empty, error) {
	if err := p.check(); err != nil {
		return empty{}, err
	}
	if s.c.cfg.Prompts == nil {
		return empty{}, ws.NotFound("prompt " + p.ID)
	}
	if st, ok := s.c.cfg.Store.(store.MenuStore); ok {
		ms, err := st.ListMenus(ctx)
		if err != nil {
			return empty{}, s.fail("prompt.delete", err)
		}
		if i := slices.IndexFunc(ms, func(m store.Menu) bool { return m.Prompt == p.ID }); i >= 0 {
			return empty{}, ws.Conflict("prompt " + p.ID + " is used by menu " + ms[i].ID)
		}
	}
	if err := s.c.cfg.Prompts.Delete(p.ID); errors.Is(err, promptlib.ErrNotFound) {
		return empty{}, ws.NotFound(err.Error())
	} else if err != nil {
		return empty{}, s.fail("prompt.delete", err)
	}
	return empty{}, nil
}

// PromptAPI serves PUT /api/prompts/<id> (the body is a WAV file): 200
// with the Prompt {id, seconds}; a bad id or WAV 400, a full library 409,
// a body over promptlib.MaxUploadBytes 413, each with a JSON-RPC-shaped
// error as TaskAPI's. Guard it with the admin token.
func PromptAPI(lib Prompts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/api/prompts/")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, promptlib.MaxUploadBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": map[string]any{
				"code": ws.CodeInvalidParams, "message": "too large", "data": map[string]string{"reason": "body: larger than 32 MiB"}}})
			return
		case err != nil:
			writeTaskError(w, ws.InvalidParams("body: "+err.Error()))
			return
		}
		p, err := lib.Put(id, body)
		switch {
		case errors.Is(err, promptlib.ErrInvalid):
			writeTaskError(w, ws.InvalidParams(err.Error()))
		case errors.Is(err, promptlib.ErrFull):
			writeTaskError(w, ws.Conflict(err.Error()))
		case err != nil:
			writeTaskError(w, &ws.Error{Code: ws.CodeInternalError, Reason: err.Error()})
		default:
			writeJSON(w, http.StatusOK, p)
		}
	})
}
