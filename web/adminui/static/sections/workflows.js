// ---- Workflows and menus: placeholder until its server methods land -----------
// The routing helper replaces this file with the real section (README.md).
window.sbAdmin.section({ id: 'workflows', title: 'Workflows and menus', order: 60, html: `
<h2>Workflows and menus</h2>
<p class="muted" data-testid="not-available">Not available in this console yet.</p>` });
